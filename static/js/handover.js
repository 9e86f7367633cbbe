// Drag and drop onto the import form's file input. Without this script the
// form is a plain file upload; with it, a file dropped on the zone is put
// into the same input, so the submission is identical.
(function () {
  "use strict";
  document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    var hint = zone.querySelector("[data-dropzone-hint]");
    if (!input) { return; }
    function show() {
      if (hint && input.files && input.files.length) { hint.textContent = input.files[0].name; }
    }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
    input.addEventListener("change", show);
    show(); // a file chosen before this script ran
  });
})();
