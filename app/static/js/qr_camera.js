/*
 * Keizoku: read the 車検証 two-dimensional codes with the tablet's rear camera.
 *
 * The camera is one more QR reader for the capture field of qr_capture.js: it types each read
 * into the field exactly as a keyboard-wedge reader set to join structured-append symbols
 * would (vehicle-qr.md §8.2), so the same parser checks the same text.
 *   - Decoding: zxing-wasm (zxing-cpp), vendored in static/vendor/zxing-wasm/, loaded only when
 *     the camera is opened. It gives each symbol's raw bytes (byte and kanji mode, without the
 *     ECI designator) and its structured-append header (index, total, parity).
 *   - Text: the bytes are decoded as Shift_JIS, with or without an ECI, as a Japanese wedge
 *     reader types them (vehicle-qr.md §3).
 *   - Joining: a registered car's QR2 (2 symbols) and QR3 (3 symbols) are structured-append
 *     groups. Symbols are joined by sequence number within one parity, bytes first, then
 *     decoded: the split may fall anywhere, even inside a character, and symbols of two
 *     certificates (another parity) are never joined.
 *   - Progress: which of the vehicle's codes are still missing (「登録車 3/5」, 「軽 1/2」).
 *   - Fallback: no camera, no permission, no decoder → a Japanese message, and the reader
 *     field gets the focus.
 *
 * Markup (auto-attached on DOMContentLoaded):
 *   <div data-qr-camera data-qr-camera-for="<textarea id>" data-decoder-url="…iife.js"
 *        data-wasm-url="…wasm"> with [data-qr-camera-open], [data-qr-camera-panel] (hidden),
 *   <video>, [data-qr-camera-progress], [data-qr-camera-slots], [data-qr-camera-note],
 *   [data-qr-camera-reset], [data-qr-camera-close], [data-qr-camera-message] (hidden) inside.
 * Needs qr_capture.js (loaded first). Plain ES2017, like qr_capture.js.
 */
(function (global) {
  'use strict';

  var SCAN_INTERVAL_MS = 80;
  var READER_OPTIONS = { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 8 };
  var CONSTRAINTS = {
    audio: false,
    video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } }
  };
  // The codes of a vehicle (vehicle-qr.md §0, §2): a registered car's コード2 is split over
  // 2 symbols and コード3 over 3; a kei car has two stand-alone codes.
  var REGISTERED_CODES = [{ code: '2', total: 2 }, { code: '3', total: 3 }];
  var KEI_CODES = ['2', '3'];

  var MESSAGES = {
    unsupported: 'このブラウザではカメラを使えません（https で開いているか確かめてください）。QRリーダーで読み取るか、手入力で進んでください。',
    denied: 'カメラの使用が許可されていません。ブラウザの設定でこのサイトにカメラを許可するか、QRリーダーで読み取ってください。',
    missing: 'カメラが見つかりません。QRリーダーで読み取るか、手入力で進んでください。',
    busy: 'カメラを開けませんでした。ほかのアプリがカメラを使っていないか確かめるか、QRリーダーで読み取ってください。',
    decoder: '読み取りの部品を読み込めませんでした。画面を再読み込みするか、QRリーダーで読み取ってください。',
    other: 'カメラを開けませんでした。QRリーダーで読み取るか、手入力で進んでください。',
    starting: 'カメラを起動しています…',
    aim: '車検証の二次元コードをカメラに写してください。1つずつでも、いくつか一度にでも読み取れます。',
    expired: 'しばらく読み取りがなかったため、読み取った分を消しました。もう一度写してください。',
    done: '読み取りが終わりました。カメラを止めました。'
  };

  var shiftJis = global.TextDecoder ? new TextDecoder('shift_jis') : null;

  function concatBytes(parts) {
    var length = parts.reduce(function (sum, part) { return sum + part.length; }, 0);
    var joined = new Uint8Array(length);
    var offset = 0;
    parts.forEach(function (part) {
      joined.set(part, offset);
      offset += part.length;
    });
    return joined;
  }

  /*
   * What the camera has seen of one certificate. add() takes one decoded symbol
   * {bytes, total, index, parity} (total <= 1: not structured append) and answers
   * {read: text or null, isNew}: read is a whole code, ready to type into the field.
   */
  function createCollector() {
    var groups = [];      // structured-append groups: {total, parity, parts: [], read}
    var standalone = [];  // texts of stand-alone symbols, in the order seen

    function groupFor(total, parity) {
      for (var i = 0; i < groups.length; i++) {
        if (groups[i].total === total && groups[i].parity === parity) {
          return groups[i];
        }
      }
      var group = { total: total, parity: parity, parts: [], read: null };
      groups.push(group);
      return group;
    }

    function add(symbol) {
      if (!(symbol.total > 1)) {
        var text = shiftJis.decode(symbol.bytes);
        if (standalone.indexOf(text) !== -1) {
          return { read: null, isNew: false };
        }
        standalone.push(text);
        return { read: text, isNew: true };
      }
      var group = groupFor(symbol.total, String(symbol.parity));
      if (group.read !== null || group.parts[symbol.index]) {
        return { read: null, isNew: false };
      }
      group.parts[symbol.index] = symbol.bytes;
      for (var i = 0; i < group.total; i++) {
        if (!group.parts[i]) {
          return { read: null, isNew: true };
        }
      }
      group.read = shiftJis.decode(concatBytes(group.parts));
      return { read: group.read, isNew: true };
    }

    function count(group) {
      return group.parts.filter(Boolean).length;
    }

    function startsLikeACode(group) {
      return Boolean(group.parts[0]) && group.parts[0][0] === 0x32 && group.parts[0][1] === 0x2F; // "2/"
    }

    // The group that shows the progress of コード2 (or 3): the most advanced one that can still
    // be that code, then one that starts like a 車検証 code, then the first seen. A paper
    // certificate carries one more 2-symbol group nobody reads (vehicle-qr.md §2); once whole
    // it is known not to be コード2.
    function bestGroup(spec, classify) {
      var best = null;
      groups.forEach(function (group) {
        if (group.total !== spec.total) {
          return;
        }
        if (group.read !== null) {
          var guess = classify(group.read);
          if (guess.kind !== 'registered' || guess.parts !== spec.total) {
            return;
          }
        }
        if (!best || count(group) > count(best) ||
            (count(group) === count(best) && startsLikeACode(group) && !startsLikeACode(best))) {
          best = group;
        }
      });
      return best;
    }

    function progress() {
      var classify = global.KeizokuQrCapture.classifyRead;
      var keiCodes = {};
      var wholeCodes = {};
      standalone.forEach(function (text) {
        var guess = classify(text);
        if (guess.kind === 'kei') {
          keiCodes[guess.code] = true;
        } else if (guess.kind === 'registered' && guess.parts > 1) {
          wholeCodes[guess.parts === 2 ? '2' : '3'] = true; // one symbol holding a whole code
        }
      });
      var slots = [];
      REGISTERED_CODES.forEach(function (spec) {
        var group = bestGroup(spec, classify);
        for (var i = 0; i < spec.total; i++) {
          slots.push({ code: spec.code, index: i + 1, total: spec.total,
            done: wholeCodes[spec.code] || Boolean(group && group.parts[i]) });
        }
      });
      var registered = slots.filter(function (slot) { return slot.done; }).length;
      var kei = Object.keys(keiCodes).length;
      var kind = registered && kei ? 'mixed' : (kei ? 'kei' : (registered ? 'registered' : null));
      if (kind === 'kei') {
        slots = KEI_CODES.map(function (code) { return { code: code, done: Boolean(keiCodes[code]) }; });
      }
      var label = [];
      if (registered) {
        label.push('登録車 ' + registered + '/5');
      }
      if (kei) {
        label.push('軽 ' + kei + '/2');
      }
      return { kind: kind, registered: registered, kei: kei, slots: slots,
        label: label.join('・'), missing: missingText(kind, slots) };
    }

    function reset() {
      groups = [];
      standalone = [];
    }

    return { add: add, progress: progress, reset: reset };
  }

  function slotName(slot) {
    return 'コード' + slot.code + (slot.total ? 'の' + slot.index + '枚目' : '');
  }

  function missingText(kind, slots) {
    if (!kind || kind === 'mixed') {
      return '';
    }
    var missing = slots.filter(function (slot) { return !slot.done; }).map(slotName);
    return missing.length ? 'まだ読めていないコード: ' + missing.join('、') : '';
  }

  // The decoder's IIFE build, loaded once, with its .wasm from our own static files.
  var decoderPromise = null;

  function loadDecoder(scriptUrl, wasmUrl) {
    if (!decoderPromise) {
      decoderPromise = new Promise(function (resolve, reject) {
        if (global.ZXingWASM) {
          resolve(global.ZXingWASM);
          return;
        }
        var script = document.createElement('script');
        script.src = scriptUrl;
        script.onload = function () { resolve(global.ZXingWASM); };
        script.onerror = function () { reject(new Error('decoder script')); };
        document.head.appendChild(script);
      }).then(function (zxing) {
        return zxing.prepareZXingModule({
          overrides: {
            locateFile: function (path, prefix) {
              return /\.wasm$/.test(path) ? wasmUrl : prefix + path;
            }
          },
          fireImmediately: true
        }).then(function () { return zxing; });
      });
      decoderPromise.catch(function () { decoderPromise = null; }); // let a later try load it again
    }
    return decoderPromise;
  }

  function errorMessage(error) {
    switch (error && error.name) {
      case 'NotAllowedError':
      case 'SecurityError':
        return MESSAGES.denied;
      case 'NotFoundError':
      case 'OverconstrainedError':
        return MESSAGES.missing;
      case 'NotReadableError':
      case 'AbortError':
        return MESSAGES.busy;
      default:
        return MESSAGES.other;
    }
  }

  function attach(root) {
    var textarea = document.getElementById(root.getAttribute('data-qr-camera-for'));
    var capture = textarea.qrCapture || (textarea.qrCapture = global.KeizokuQrCapture.attach(textarea));
    var find = function (name) { return root.querySelector('[data-qr-camera-' + name + ']'); };
    var openButton = find('open');
    var resetButton = find('reset');
    var panel = find('panel');
    var video = root.querySelector('video');
    var progressElement = find('progress');
    var slotsElement = find('slots');
    var noteElement = find('note');
    var messageElement = find('message');
    var readerProgress = document.getElementById(textarea.getAttribute('data-qr-progress'));
    var collector = createCollector();
    var canvas = document.createElement('canvas');
    var context = canvas.getContext('2d', { willReadFrequently: true });
    var stream = null;
    var timer = null;
    var running = false;
    var starting = false;
    var note = '';

    function render() {
      var progress = collector.progress();
      progressElement.textContent = progress.label || '登録車 0/5・軽 0/2';
      slotsElement.innerHTML = '';
      (progress.kind ? progress.slots : []).forEach(function (slot) {
        var item = document.createElement('li');
        item.className = slot.done ? 'done' : 'missing';
        ['コード' + slot.code, slot.total ? slot.index + '/' + slot.total : '', slot.done ? '✓' : '']
          .forEach(function (text) {
            var line = document.createElement('span');
            line.textContent = text;
            item.appendChild(line);
          });
        item.setAttribute('aria-label', slotName(slot) + (slot.done ? ' 読み取り済み' : ' まだ'));
        slotsElement.appendChild(item);
      });
      noteElement.textContent = [progress.missing || (progress.kind ? '' : MESSAGES.aim), note]
        .filter(Boolean).join(' ');
    }

    function fallBack(message) {
      stop();
      panel.hidden = true;
      openButton.hidden = false;
      messageElement.textContent = message;
      messageElement.hidden = false;
      textarea.focus();
    }

    function stop() {
      running = false;
      resetButton.hidden = true; // what was read stays for 「読み取り内容で進む」
      clearTimeout(timer);
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        stream = null;
      }
      video.srcObject = null;
      if (readerProgress) {
        readerProgress.hidden = false;
      }
    }

    function handle(result) {
      if (!result.isValid) {
        return;
      }
      var outcome = collector.add({ bytes: result.bytes, total: result.sequenceSize,
        index: result.sequenceIndex, parity: result.sequenceId });
      if (!outcome.isNew) {
        return;
      }
      note = '';
      capture.keepAlive();
      if (outcome.read !== null) {
        capture.addRead(outcome.read);
      }
      render();
    }

    async function scan(zxing) {
      if (!running) {
        return;
      }
      try {
        if (video.readyState >= 2 && video.videoWidth) {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0);
          var frame = context.getImageData(0, 0, canvas.width, canvas.height);
          (await zxing.readBarcodes(frame, READER_OPTIONS)).forEach(handle);
        }
      } catch (error) {
        fallBack(MESSAGES.decoder);
        return;
      }
      if (running) {
        timer = setTimeout(function () { scan(zxing); }, SCAN_INTERVAL_MS);
      }
    }

    // The camera's stream in the video element and the decoder, or an Error with the message.
    async function start() {
      var decoder = loadDecoder(root.getAttribute('data-decoder-url'), root.getAttribute('data-wasm-url'));
      try {
        stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
      } catch (error) {
        throw new Error(errorMessage(error));
      }
      var zxing;
      try {
        zxing = await decoder;
      } catch (error) {
        throw new Error(MESSAGES.decoder);
      }
      video.srcObject = stream;
      try {
        await video.play();
      } catch (error) {
        throw new Error(MESSAGES.other);
      }
      return zxing;
    }

    async function open() {
      if (running || starting) {
        return;
      }
      messageElement.hidden = true;
      if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia) || !shiftJis) {
        fallBack(MESSAGES.unsupported);
        return;
      }
      collector.reset();
      note = '';
      panel.hidden = false;
      openButton.hidden = true;
      resetButton.hidden = false;
      video.hidden = false;
      if (readerProgress) {
        readerProgress.hidden = true; // the camera's progress counts symbols, not reads
      }
      progressElement.textContent = MESSAGES.starting;
      slotsElement.innerHTML = '';
      noteElement.textContent = '';
      starting = true;
      try {
        var zxing = await start();
      } catch (error) {
        fallBack(error.message);
        return;
      } finally {
        starting = false;
      }
      if (panel.hidden) {
        stop(); // closed while starting
        return;
      }
      running = true;
      render();
      scan(zxing);
    }

    function close() {
      stop();
      panel.hidden = true;
      openButton.hidden = false;
      openButton.focus();
    }

    openButton.addEventListener('click', open);
    find('close').addEventListener('click', close);
    resetButton.addEventListener('click', function () {
      collector.reset();
      capture.clear();
      note = '';
      render();
    });
    textarea.addEventListener('qrexpired', function () {
      collector.reset();
      note = running ? MESSAGES.expired : '';
      render();
    });
    textarea.addEventListener('qrparsed', function (event) {
      if (running && event.detail && !event.detail.error) {
        stop();
        note = MESSAGES.done;
        render();
        video.hidden = true;
        openButton.hidden = false; // for another certificate
        if (textarea.form) {
          var submit = textarea.form.querySelector('[type=submit]');
          if (submit) {
            submit.scrollIntoView({ block: 'nearest' });
          }
        }
      }
    });
    // Leaving the page (or the tab) gives the camera back.
    global.addEventListener('pagehide', stop);
    document.addEventListener('visibilitychange', function () {
      if (document.hidden && running) {
        close();
      }
    });
    return { open: open, close: close, collector: collector };
  }

  function attachAll() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-qr-camera]'), function (root) {
      if (!root.qrCamera) {
        root.qrCamera = attach(root);
      }
    });
  }

  global.KeizokuQrCamera = { attach: attach, attachAll: attachAll, createCollector: createCollector };
  global.KeizokuQrCapture.whenReady(attachAll);
})(typeof window !== 'undefined' ? window : this);
