/* Records (記録簿): the entry screen, batch-print progress.
 *
 * Every change is sent to the server as it is made. Changes wait in a queue kept in
 * localStorage until the server has acknowledged them (answered `ok`), so a dropped
 * connection, a failing server (5xx) or a closed tab loses nothing: the queue is resent in
 * order on reconnect, by the retry button, with a growing delay, and when the page opens
 * again. Each change carries the check's whole symbol list, so resending is harmless.
 * The queue of a record is one localStorage entry whose items carry the user who made
 * them: on a shared tablet nobody replays someone else's entries under their own name.
 * A record signed meanwhile (409) drops the queue with a message instead of retrying.
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
    this.user = root.dataset.user || "";
    this.key = "keizoku-record-queue-" + this.recordId;
    this.others = [];  // other users' unsent items of this record: kept, never sent from here
    this.queue = this.load();
    this.sending = false;
    this.inFlight = null;
    this.stopped = false;  // true once retrying cannot help (record locked, logged out)
    this.retryDelay = 1000;
    this.retryTimer = null;
    this.status = document.getElementById("record-sync");
    this.retryButton = document.getElementById("record-sync-retry");
    this.missing = document.getElementById("record-missing");
    this.bind();
    if (this.locked) { this.dropQueueOfLockedRecord(); return; }
    this.applyQueuedToScreen();
    this.flush();
  }

  Entry.prototype.load = function () {
    var stored;
    try { stored = JSON.parse(localStorage.getItem(this.key) || "[]"); } catch (e) { stored = []; }
    if (!Array.isArray(stored)) { stored = []; }
    var user = this.user;
    var mine = function (item) { return item.user === undefined || String(item.user) === user; };
    this.others = stored.filter(function (item) { return !mine(item); });
    return stored.filter(mine);
  };
  Entry.prototype.save = function () {
    try {
      localStorage.setItem(this.key, JSON.stringify(this.others.concat(this.queue)));
    } catch (e) { /* private mode: memory only */ }
  };

  Entry.prototype.showStatus = function (text, state) {
    if (this.retryButton) {
      this.retryButton.classList.toggle("hidden",
        !(this.queue.length && !this.stopped && (state === "offline" || state === "retry")));
    }
    if (!this.status) { return; }
    this.status.textContent = text;
    this.status.className = "record-sync record-sync-" + (state === "retry" ? "offline" : state);
  };

  Entry.prototype.waitingText = function (reason) {
    return "未送信 " + this.queue.length + "件:" + reason;
  };

  /* The record was signed (here or in another tab): nothing queued can be saved any more. */
  Entry.prototype.dropQueueOfLockedRecord = function (serverMessage) {
    var lost = this.queue.length;
    this.queue = [];
    this.save();
    this.stopped = true;
    this.lockScreen();
    if (lost || serverMessage) {
      this.showStatus((serverMessage || "この記録簿は署名済みのため変更できません。") +
        (lost ? "送信できなかった入力 " + lost + "件は保存されていません。" : ""), "error");
    }
  };

  Entry.prototype.lockScreen = function () {
    this.locked = true;
    this.root.querySelectorAll(".record-check, .record-all-good").forEach(function (button) {
      button.disabled = true;
    });
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
      if (item.device) { self.paintDeviceGood(item.device); return; }
      var button = item.check_id && self.cell(item.check_id);
      if (button) { self.paint(button, item.symbols); }
    });
  };

  Entry.prototype.paintDeviceGood = function (device) {
    var self = this;
    this.root.querySelectorAll('.record-device[data-device="' + device + '"] .record-check.is-empty')
      .forEach(function (cell) { self.paint(cell, ["✓"]); });
  };

  Entry.prototype.isQueued = function (checkId) {
    return this.queue.some(function (q) { return q.check_id === checkId; });
  };

  /* A change replaces any queued change of the same check (only the latest state matters),
   * except the one being sent: its answer must remove it and nothing else. */
  Entry.prototype.enqueue = function (item) {
    var inFlight = this.inFlight;
    item.user = this.user;
    if (item.check_id) {
      this.queue = this.queue.filter(function (q) { return q === inFlight || q.check_id !== item.check_id; });
    }
    this.queue.push(item);
    this.save();
    this.flush();
  };

  Entry.prototype.acknowledge = function (item) {
    this.queue = this.queue.filter(function (q) { return q !== item; });
    this.save();
  };

  Entry.prototype.flush = function () {
    var self = this;
    if (this.sending || this.stopped) { return; }
    window.clearTimeout(this.retryTimer);
    if (!this.queue.length) { this.showStatus("保存済み", "saved"); return; }
    if (!navigator.onLine) {
      this.showStatus(this.waitingText("通信が切れています。つながると自動で保存します。"), "offline");
      return;
    }
    this.sending = true;
    this.showStatus("保存中…(未送信 " + this.queue.length + "件)", "saving");
    var item = this.inFlight = this.queue[0];
    var request = item.device
      ? postJson(this.deviceUrl, { device: item.device })
      : postJson(this.resultUrl, { check_id: item.check_id, symbols: item.symbols });
    request.then(function (answer) {
      self.sending = false;
      self.inFlight = null;
      self.answered(item, answer);
    }).catch(function () {
      self.sending = false;
      self.inFlight = null;
      self.retryLater();
    });
  };

  Entry.prototype.answered = function (item, answer) {
    var self = this;
    var data = answer.data || {};
    if (answer.status === 200 && data.ok === true) {
      this.acknowledge(item);
      this.retryDelay = 1000;
      Object.keys(data.changed || {}).forEach(function (id) {
        var button = self.cell(id);
        // A check tapped again meanwhile shows its newer, still queued state.
        if (button && !self.isQueued(id)) { self.paint(button, data.changed[id]); }
      });
      if (this.missing && typeof data.missing === "number") {
        this.missing.textContent = "未入力 " + data.missing + "件";
      }
      this.flush();
    } else if (answer.status === 409) {
      this.dropQueueOfLockedRecord(data.error);
    } else if (answer.status >= 500 || answer.status === 408 || answer.status === 429) {
      this.retryLater();
    } else if (typeof data.error === "string") {
      // Refused by the server (an invalid symbol, a check not in this form): retrying
      // cannot help. The reload shows what is stored; the rest of the queue is sent then.
      this.acknowledge(item);
      this.stopped = true;
      this.showStatus(data.error, "error");
      window.setTimeout(function () { window.location.reload(); }, 4000);
    } else {
      // Not our endpoint answering (the login page after the session expired, an expired
      // form token): the entries stay on this tablet until the page is opened again.
      this.stopped = true;
      this.showStatus(this.waitingText("ログインの有効期限が切れたため保存できません。" +
        "ログインし直して記録簿を開き直すと、この端末に残っている入力を保存します。"), "error");
    }
  };

  Entry.prototype.retryLater = function () {
    var self = this;
    var reason = navigator.onLine ? "保存できませんでした。自動で再送します。" :
      "通信が切れています。つながると自動で保存します。";
    this.showStatus(this.waitingText(reason), "retry");
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(function () { self.flush(); }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 30000);
  };

  Entry.prototype.retryNow = function () {
    this.retryDelay = 1000;
    this.flush();
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
        self.paintDeviceGood(button.dataset.device);
        self.enqueue({ device: button.dataset.device });
      });
    });
    if (this.retryButton) {
      this.retryButton.addEventListener("click", function () { self.retryNow(); });
    }
    // Signing locks the record: never sign over entries still waiting on the tablet.
    document.querySelectorAll("form.record-sign").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var notice = form.querySelector(".record-sign-wait");
        if (!self.queue.length && !self.sending) {
          if (notice) { notice.remove(); }
          return;
        }
        event.preventDefault();
        if (!notice) {
          notice = document.createElement("p");
          notice.className = "text-danger record-sign-wait";
          notice.setAttribute("role", "alert");
          form.appendChild(notice);
        }
        notice.textContent = "未送信の入力が " + self.queue.length + "件あります。保存が済んでから、" +
          "もう一度署名してください(通信が戻ると自動で保存します)。";
        self.retryNow();
      });
    });
    window.addEventListener("online", function () { self.retryNow(); });
    window.addEventListener("offline", function () { if (!self.sending) { self.flush(); } });
    window.addEventListener("beforeunload", function (event) {
      // Once stopped, the queue waits in localStorage for the next visit: leaving is expected.
      if (self.queue.length && !self.stopped) { event.preventDefault(); event.returnValue = ""; }
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
