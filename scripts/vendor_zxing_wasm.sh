#!/bin/sh
# Refresh app/static/vendor/zxing-wasm/ from the npm registry: the pinned zxing-wasm release,
# checked against the registry's integrity hash, reduced to the reader's IIFE build and its
# WebAssembly file. The result is committed (a clean checkout needs no npm).
set -eu
VERSION=3.1.6
INTEGRITY=sha512-mU7UNuvl+hOT+nlSOQTMHZ2tM8lRMsbjDIp5IO/+HmBl/FOq77q0OSZPJ3cm42A9c1MKU6Uve67FiGdkhsrT9g==
TARGET=app/static/vendor/zxing-wasm
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "zxing-wasm@$VERSION" >/dev/null)
TARBALL="$WORK/zxing-wasm-$VERSION.tgz"
ACTUAL="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
if [ "$ACTUAL" != "$INTEGRITY" ]; then
  echo "zxing-wasm $VERSION: integrity mismatch ($ACTUAL)" >&2
  exit 1
fi
tar -xzf "$TARBALL" -C "$WORK"
mkdir -p "$TARGET"
cp "$WORK/package/dist/iife/reader/index.js" "$TARGET/zxing_reader.iife.js"
cp "$WORK/package/dist/reader/zxing_reader.wasm" "$TARGET/zxing_reader.wasm"
cp "$WORK/package/LICENSE" "$TARGET/LICENSE"
# The WebAssembly file is zxing-cpp (Apache-2.0), compiled by zxing-wasm.
cp /usr/share/common-licenses/Apache-2.0 "$TARGET/LICENSE.zxing-cpp"
(cd "$TARGET" && sha256sum zxing_reader.iife.js zxing_reader.wasm)
