// 承諾書: the signature drawn with a finger, a pen or a mouse on the canvas (pointer events).
// The canvas stays transparent where nothing is drawn; on submit its PNG goes into the hidden
// "signature" field, only when something was drawn.
(function () {
  "use strict";
  var pad = document.getElementById("consent-pad");
  var form = document.getElementById("consent-form");
  if (!pad || !form) { return; }
  var field = document.getElementById("consent-signature");
  var context = pad.getContext("2d");
  var drawing = false, drawn = false, last = null;

  context.lineWidth = 3;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#111";

  function point(event) {
    var box = pad.getBoundingClientRect();
    return {x: (event.clientX - box.left) * (pad.width / box.width),
            y: (event.clientY - box.top) * (pad.height / box.height)};
  }

  pad.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    drawing = true;
    last = point(event);
    if (pad.setPointerCapture) { pad.setPointerCapture(event.pointerId); }
  });
  pad.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    event.preventDefault();
    var next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    drawn = true;
  });
  function stop() { drawing = false; last = null; }
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);
  pad.addEventListener("pointerleave", stop);

  document.getElementById("consent-clear").addEventListener("click", function () {
    context.clearRect(0, 0, pad.width, pad.height);
    drawn = false;
    field.value = "";
  });
  form.addEventListener("submit", function () {
    field.value = drawn ? pad.toDataURL("image/png") : "";
  });
}());
