// Flask-AppBuilder's scripts show a few messages of their own in English (ab_actions.js:
// a bulk action with no row ticked); its message dialog shows them in Japanese instead.
(function () {
  "use strict";
  var JAPANESE = {"No row selected": "対象の行を選んでから操作してください。"};
  if (typeof window.ab_alert === "function") {
    var show = window.ab_alert;
    window.ab_alert = function (text) { show(JAPANESE[text] || text); };
  }
})();
