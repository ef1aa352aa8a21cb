/*
 * Keizoku: capture the 車検証 two-dimensional codes from a keyboard-wedge QR reader.
 *
 * A wedge reader types each code followed by a suffix (CR/Enter, LF or Tab). This helper
 * turns a <textarea> into the capture field: every suffix ends one read, Enter never
 * submits the form, the progress ("登録車 3/5", "軽 1/2") is shown in an element, the field
 * is cleared after 20 s of silence (so half a certificate never mixes with the next one; a
 * `qrexpired` event then goes to the textarea), and the reads are POSTed as JSON
 * {"reads": [...]} to the server parser when a certificate looks complete (or when send() is
 * called). The answer (the parser's result or {"error": {code, message}}) goes to
 * options.onParsed and to a `qrparsed` CustomEvent dispatched on the textarea (event.detail is
 * the JSON plus `reads`, the reads that were sent).
 *
 * Markup (auto-attached on DOMContentLoaded):
 *   <meta name="csrf-token" content="…">
 *   <textarea data-qr-capture data-qr-parse-url="/…/parse" data-qr-progress="qr-progress"></textarea>
 *   <span id="qr-progress" aria-live="polite"></span>
 * Or by hand: KeizokuQrCapture.attach(textarea, {url, progress, onParsed, silenceMs}).
 * Another source of reads (the camera, qr_camera.js) hands each read to addRead(text), which
 * types it into the field as a wedge reader would, and calls keepAlive() while it is busy.
 *
 * The progress is a hint only; the server parser decides (vehicle-qr.md §8). Plain ES2017.
 */
(function (global) {
  'use strict';

  var SILENCE_MS = 20000;
  var SUFFIX = /[\r\n\t]+/;

  // Full-width ASCII (IME 全角英数) to ASCII, as the server does outside the plate.
  function halfWidth(text) {
    return text.replace(/[\uFF01-\uFF5E]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    });
  }

  /*
   * A cheap guess at what one read is:
   *   {kind: 'kei', code: '2'|'3'} for K/22, K/31, K/32 …;
   *   {kind: 'registered', parts: n} for a registered fragment (n symbols' worth: 1, or 2
   *     for a joined QR2, 3 for a joined QR3);
   *   {kind: 'other'} for anything that cannot be a 車検証 code (a URL, text).
   */
  function classifyRead(read) {
    var text = halfWidth(read);
    var kei = /^K\/([23])[0-9]\//.exec(text);
    if (kei) {
      return { kind: 'kei', code: kei[1] };
    }
    var delimiters = (text.match(/\//g) || []).length;
    if (delimiters === 0 || /[a-z:?=&%#]/.test(text)) {
      return { kind: 'other' };
    }
    if (delimiters >= 18) {
      return { kind: 'registered', parts: 3 };
    }
    if (delimiters === 5 && /^2\/[^\x00-\x7F]/.test(text)) {
      return { kind: 'registered', parts: 2 };
    }
    return { kind: 'registered', parts: 1 };
  }

  // Progress of a list of reads: registered symbols (of 5) and kei codes (of 2).
  function progressOf(reads) {
    var seen = {};
    var registered = 0;
    var keiCodes = {};
    reads.forEach(function (read) {
      if (seen[read]) {
        return; // a re-scan
      }
      seen[read] = true;
      var guess = classifyRead(read);
      if (guess.kind === 'kei') {
        keiCodes[guess.code] = true;
      } else if (guess.kind === 'registered') {
        registered += guess.parts;
      }
    });
    var kei = Object.keys(keiCodes).length;
    registered = Math.min(registered, 5);
    var label = [];
    if (registered) {
      label.push('登録車 ' + registered + '/5');
    }
    if (kei) {
      label.push('軽 ' + kei + '/2');
    }
    return {
      registered: registered,
      kei: kei,
      complete: registered === 5 || kei === 2, // a mix of both is for the server to refuse
      label: label.join('・')
    };
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function attach(textarea, options) {
    options = options || {};
    var url = options.url || textarea.getAttribute('data-qr-parse-url');
    var progressElement = options.progress ||
      (textarea.getAttribute('data-qr-progress') &&
       document.getElementById(textarea.getAttribute('data-qr-progress')));
    var silenceMs = options.silenceMs || SILENCE_MS;
    var clearOnSuccess = options.clearOnSuccess !== false;
    var timer = null;
    var lastSent = null;
    var sending = false;

    // Complete reads: everything before the last suffix. The rest is still being typed.
    function reads() {
      var pieces = textarea.value.split(SUFFIX);
      pieces.pop();
      return pieces.filter(function (read) { return read !== ''; });
    }

    function showProgress(text) {
      if (progressElement) {
        progressElement.textContent = text;
      }
    }

    // Bumped by every clear: an answer to reads sent before it is stale and dropped.
    var generation = 0;

    function clear() {
      generation += 1;
      textarea.value = '';
      lastSent = null;
      showProgress('');
    }

    // The field is cleared after a good parse, so the event also carries the reads (detail.reads)
    // for a page that still has to submit them.
    function answer(json, sentReads) {
      if (typeof options.onParsed === 'function') {
        options.onParsed(json);
      }
      var detail = Object.assign({ reads: sentReads }, json);
      textarea.dispatchEvent(new CustomEvent('qrparsed', { detail: detail, bubbles: true }));
    }

    async function send() {
      var current = reads();
      var key = JSON.stringify(current);
      if (!url || sending || current.length === 0 || key === lastSent) {
        return null;
      }
      sending = true;
      lastSent = key;
      showProgress('確認中…');
      var sentIn = generation;
      var json;
      try {
        var response = await fetch(url, {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            'Content-Type': 'application/json',
            'Accept': 'application/json',
            'X-CSRFToken': csrfToken()
          },
          body: JSON.stringify({ reads: current })
        });
        try {
          json = await response.json();
        } catch (e) {
          json = { error: { code: 'HTTP_' + response.status,
            message: '読み取りデータを確認できませんでした（' + response.status + '）。画面を再読み込みして、もう一度読み取ってください。' } };
        }
      } catch (e) {
        json = { error: { code: 'NETWORK', message: 'サーバーに送れませんでした。通信を確かめて、もう一度読み取ってください。' } };
      } finally {
        sending = false;
      }
      if (sentIn !== generation) {
        return null; // the field was cleared meanwhile (入力欄をクリア, or the silence timeout)
      }
      if (json && !json.error && clearOnSuccess) {
        clear();
        showProgress('読み取り完了');
      } else {
        update(false);
      }
      answer(json, current);
      return json;
    }

    function update(autoSend) {
      var current = reads();
      var progress = progressOf(current);
      showProgress(progress.label);
      if (autoSend && progress.complete) {
        send();
      }
    }

    function expire() {
      clear();
      textarea.dispatchEvent(new CustomEvent('qrexpired', { bubbles: true }));
    }

    function restartSilenceTimer() {
      clearTimeout(timer);
      timer = setTimeout(expire, silenceMs);
    }

    // One read from another source, typed into the field with its suffix.
    function addRead(read) {
      var value = textarea.value;
      if (value !== '' && !/[\r\n\t]$/.test(value)) {
        value += '\n'; // a wedge read still being typed ends here
      }
      textarea.value = value + read + '\n';
      restartSilenceTimer();
      update(true);
    }

    function insertAtCaret(text) {
      var start = textarea.selectionStart;
      var end = textarea.selectionEnd;
      if (typeof textarea.setRangeText === 'function' && start !== null && start !== undefined) {
        textarea.setRangeText(text, start, end, 'end');
      } else {
        textarea.value += text;
      }
    }

    // Enter would submit the form (or, for Tab, move the focus away): make both a suffix.
    textarea.addEventListener('keydown', function (event) {
      if (event.isComposing) {
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        insertAtCaret(event.key === 'Enter' ? '\n' : '\t');
        restartSilenceTimer();
        update(true);
      }
    });
    textarea.addEventListener('input', function () {
      restartSilenceTimer();
      update(true);
    });
    if (textarea.form) {
      textarea.form.addEventListener('submit', function (event) {
        if (document.activeElement === textarea) {
          event.preventDefault();
        }
      });
    }

    return { reads: reads, clear: clear, send: send, addRead: addRead, keepAlive: restartSilenceTimer,
      progress: function () { return progressOf(reads()); } };
  }

  function attachAll() {
    Array.prototype.forEach.call(document.querySelectorAll('textarea[data-qr-capture]'), function (textarea) {
      if (!textarea.qrCapture) {
        textarea.qrCapture = attach(textarea);
      }
    });
  }

  // Runs fn once the page's markup is there (now, if it already is).
  function whenReady(fn) {
    if (!global.document) {
      return;
    }
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', fn);
    } else {
      fn();
    }
  }

  global.KeizokuQrCapture = { attach: attach, attachAll: attachAll, classifyRead: classifyRead,
    progressOf: progressOf, whenReady: whenReady };
  whenReady(attachAll);
})(typeof window !== 'undefined' ? window : this);
