/* Records (記録簿): the entry screen, batch-print progress.
 *
 * Every change is sent to the server as it is made. Changes wait in a queue kept in
 * localStorage until the server has answered, so a dropped connection (or a closed tab)
 * loses nothing: the queue is resent on reconnect and when the page opens again. Each
 * change carries the check's whole symbol list, so resending is harmless.
 */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": CSRF },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function displaySymbols(symbols) {
    var ordered = symbols.slice().sort(function (a, b) { return (a === "O" ? 0 : 1) - (b === "O" ? 0 : 1); });
    return ordered.join("").replace("O", "○");
  }

  /* ------------------------------------------------------------ entry screen */
  function Entry(root) {
    this.root = root;
    this.recordId = root.dataset.record;
    this.resultUrl = root.dataset.resultUrl;
    this.deviceUrl = root.dataset.deviceUrl;
    this.locked = root.dataset.locked === "true";
    this.key = "keizoku-record-queue-" + this.recordId;
    this.queue = this.load();
    this.sending = false;
    this.retryDelay = 1000;
    this.status = document.getElementById("record-sync");
    this.missing = document.getElementById("record-missing");
    this.bind();
    this.applyQueuedToScreen();
    this.flush();
  }

  Entry.prototype.load = function () {
    try { return JSON.parse(localStorage.getItem(this.key) || "[]"); } catch (e) { return []; }
  };
  Entry.prototype.save = function () {
    try { localStorage.setItem(this.key, JSON.stringify(this.queue)); } catch (e) { /* private mode: memory only */ }
  };

  Entry.prototype.showStatus = function (text, state) {
    if (!this.status) { return; }
    this.status.textContent = text;
    this.status.className = "record-sync record-sync-" + state;
  };

  Entry.prototype.cell = function (checkId) {
    return this.root.querySelector('.record-check[data-check="' + checkId + '"]');
  };

  Entry.prototype.paint = function (button, symbols) {
    button.dataset.symbols = JSON.stringify(symbols);
    button.querySelector(".record-check-symbol").textContent = displaySymbols(symbols);
    button.classList.toggle("is-empty", symbols.length === 0);
  };

  Entry.prototype.applyQueuedToScreen = function () {
    var self = this;
    this.queue.forEach(function (item) {
      var button = item.check_id && self.cell(item.check_id);
      if (button) { self.paint(button, item.symbols); }
    });
  };

  /* A change replaces any queued change of the same check: only the latest state matters. */
  Entry.prototype.enqueue = function (item) {
    if (item.check_id) {
      this.queue = this.queue.filter(function (q) { return q.check_id !== item.check_id; });
    }
    this.queue.push(item);
    this.save();
    this.flush();
  };

  Entry.prototype.flush = function () {
    var self = this;
    if (this.sending) { return; }
    if (!this.queue.length) { this.showStatus("保存済み", "saved"); return; }
    if (!navigator.onLine) { this.showStatus("未送信 " + this.queue.length + "件(接続を待っています)", "offline"); return; }
    this.sending = true;
    this.showStatus("保存中…(未送信 " + this.queue.length + "件)", "saving");
    var item = this.queue[0];
    var request = item.device
      ? postJson(this.deviceUrl, { device: item.device })
      : postJson(this.resultUrl, { check_id: item.check_id, symbols: item.symbols });
    request.then(function (answer) {
      self.sending = false;
      if (answer.status === 200) {
        self.queue.shift();
        self.save();
        self.retryDelay = 1000;
        if (answer.data.changed) {
          Object.keys(answer.data.changed).forEach(function (id) {
            var button = self.cell(id);
            if (button) { self.paint(button, answer.data.changed[id]); }
          });
        }
        if (self.missing && typeof answer.data.missing === "number") {
          self.missing.textContent = "未入力 " + answer.data.missing + "件";
        }
        self.flush();
      } else if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
        // Refused (invalid symbol, locked record, logged out): retrying cannot help.
        self.queue.shift();
        self.save();
        self.showStatus((answer.data && answer.data.error) || "保存できませんでした。画面を読み込み直してください。", "error");
        if (item.check_id) { window.setTimeout(function () { window.location.reload(); }, 4000); }
      } else {
        self.retryLater();
      }
    }).catch(function () {
      self.sending = false;
      self.retryLater();
    });
  };

  Entry.prototype.retryLater = function () {
    var self = this;
    this.showStatus("未送信 " + this.queue.length + "件(再接続して送ります)", "offline");
    window.setTimeout(function () { self.flush(); }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 30000);
  };

  Entry.prototype.setSymbols = function (button, symbols) {
    this.paint(button, symbols);
    this.enqueue({ check_id: button.dataset.check, symbols: symbols });
  };

  Entry.prototype.cycle = function (button) {
    var cycle = JSON.parse(button.dataset.cycle);
    var symbols = JSON.parse(button.dataset.symbols || "[]");
    var disassembled = symbols.indexOf("O") >= 0;
    var main = symbols.filter(function (s) { return s !== "O"; });
    var index = main.length === 1 ? cycle.indexOf(main[0]) : -1;
    var next = index + 1 < cycle.length ? [cycle[index + 1]] : [];
    if (disassembled && next.length && "✓×ACTL△".indexOf(next[0]) >= 0) { next.unshift("O"); }
    this.setSymbols(button, next);
  };

  Entry.prototype.toggleDisassembled = function (button) {
    var symbols = JSON.parse(button.dataset.symbols || "[]");
    var work = symbols.filter(function (s) { return s !== "O"; });
    if (symbols.indexOf("O") >= 0) { this.setSymbols(button, work); return; }
    if (!work.length || work.some(function (s) { return "✓×ACTL△".indexOf(s) < 0; })) { work = ["✓"]; }
    this.setSymbols(button, ["O"].concat(work));
  };

  var KEYS = { v: "✓", x: "×", a: "A", c: "C", t: "T", l: "L", r: "△", p: "P", "/": "/" };

  Entry.prototype.key_ = function (button, event) {
    var key = event.key.toLowerCase();
    var symbols = JSON.parse(button.dataset.symbols || "[]");
    var cycle = JSON.parse(button.dataset.cycle);
    var symbol = KEYS[key];
    if (key === "s") { symbol = cycle.filter(function (s) { return s === "☆" || s === "★"; })[0]; }
    if (key === "o") { this.toggleDisassembled(button); return true; }
    if (key === "delete" || key === "backspace") { this.setSymbols(button, []); return true; }
    if (key === "arrowdown" || key === "arrowright" || key === "arrowup" || key === "arrowleft") {
      var all = Array.prototype.slice.call(this.root.querySelectorAll(".record-check"));
      var step = (key === "arrowdown" || key === "arrowright") ? 1 : -1;
      var target = all[all.indexOf(button) + step];
      if (target) { target.focus(); }
      return true;
    }
    if (!symbol || cycle.indexOf(symbol) < 0) { return false; }
    if (event.shiftKey && symbols.indexOf(symbol) < 0 && "✓×ACTL△".indexOf(symbol) >= 0) {
      this.setSymbols(button, symbols.filter(function (s) { return "P☆★/".indexOf(s) < 0; }).concat([symbol]));
    } else {
      this.setSymbols(button, symbols.indexOf("O") >= 0 && "✓×ACTL△".indexOf(symbol) >= 0 ? ["O", symbol] : [symbol]);
    }
    return true;
  };

  Entry.prototype.bind = function () {
    var self = this;
    if (this.locked) { return; }
    var pressTimer = null;
    var longPressed = false;
    this.root.querySelectorAll(".record-check").forEach(function (button) {
      button.addEventListener("pointerdown", function () {
        longPressed = false;
        pressTimer = window.setTimeout(function () { longPressed = true; self.toggleDisassembled(button); }, 550);
      });
      ["pointerup", "pointerleave", "pointercancel"].forEach(function (name) {
        button.addEventListener(name, function () { window.clearTimeout(pressTimer); });
      });
      button.addEventListener("click", function (event) {
        event.preventDefault();
        if (longPressed) { longPressed = false; return; }
        self.cycle(button);
      });
      button.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { return; }
        if (self.key_(button, event)) { event.preventDefault(); }
      });
      button.addEventListener("contextmenu", function (event) { event.preventDefault(); });
    });
    this.root.querySelectorAll(".record-all-good").forEach(function (button) {
      button.addEventListener("click", function () {
        var device = button.dataset.device;
        self.root.querySelectorAll('.record-device[data-device="' + device + '"] .record-check.is-empty')
          .forEach(function (cell) { self.paint(cell, ["✓"]); });
        self.enqueue({ device: device });
      });
    });
    window.addEventListener("online", function () { self.retryDelay = 1000; self.flush(); });
    window.addEventListener("beforeunload", function (event) {
      if (self.queue.length) { event.preventDefault(); event.returnValue = ""; }
    });
  };

  function setupLayout(root) {
    var stored = null;
    try { stored = localStorage.getItem("keizoku-record-layout"); } catch (e) { stored = null; }
    var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    var layout = stored || (coarse ? "tablet" : "pc");
    function apply(value) {
      root.classList.toggle("layout-tablet", value === "tablet");
      root.classList.toggle("layout-pc", value === "pc");
      root.querySelectorAll("[data-layout]").forEach(function (b) {
        b.classList.toggle("active", b.dataset.layout === value);
      });
    }
    apply(layout);
    root.querySelectorAll("[data-layout]").forEach(function (button) {
      button.addEventListener("click", function () {
        try { localStorage.setItem("keizoku-record-layout", button.dataset.layout); } catch (e) { /* ignore */ }
        apply(button.dataset.layout);
      });
    });
  }

  /* ------------------------------------------------------------ batch printing */
  function watchBatch(root) {
    var bar = document.getElementById("print-batch-bar");
    var text = document.getElementById("print-batch-text");
    var error = document.getElementById("print-batch-error");
    var download = document.getElementById("print-batch-download");
    function poll() {
      fetch(root.dataset.statusUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (s) {
          var percent = s.total ? Math.round(100 * s.done / s.total) : 0;
          bar.style.width = percent + "%";
          bar.setAttribute("aria-valuenow", s.done);
          text.textContent = s.status_label + ": " + s.done + " / " + s.total + " 件";
          error.textContent = s.error || "";
          if (s.status === "done") { download.classList.remove("hidden"); return; }
          if (s.status !== "failed") { window.setTimeout(poll, 1500); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var entry = document.getElementById("record-entry");
    if (entry) { setupLayout(entry); new Entry(entry); }
    var batch = document.getElementById("print-batch");
    if (batch) { watchBatch(batch); }
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('input[name="record"]').forEach(function (box) { box.checked = all.checked; });
      });
    }
  });
})();
