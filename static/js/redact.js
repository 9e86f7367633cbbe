// Fills the redaction form with the character positions of the text selected in the
// original message, so a person can redact by selecting. Without it, the numbers can
// be typed in.
(function () {
  "use strict";
  var source = document.querySelector("[data-redact-source]");
  var form = document.querySelector("[data-redact-form]");
  if (!source || !form) return;

  function offsetWithin(container, node, offset) {
    var range = document.createRange();
    range.setStart(container, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  document.addEventListener("selectionchange", function () {
    var selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    if (!source.contains(range.startContainer) || !source.contains(range.endContainer)) return;
    var start = offsetWithin(source, range.startContainer, range.startOffset);
    var end = offsetWithin(source, range.endContainer, range.endOffset);
    if (end <= start) return;
    form.elements.start.value = String(start);
    form.elements.end.value = String(end);
  });
})();
