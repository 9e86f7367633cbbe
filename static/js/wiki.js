// Keyboard help for the wiki editor: Ctrl/Cmd+S saves, focus goes where the work is.
(function () {
  "use strict";

  function submit(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
      var form = document.querySelector("form[data-editor]");
      if (form) {
        event.preventDefault();
        submit(form);
      }
    }
  });

  // Leaving an editor with unsaved text asks first, so nothing typed is lost by a stray click.
  var dirty = false;
  document.addEventListener("input", function (event) {
    if (event.target.closest("form[data-editor]")) {
      dirty = true;
    }
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-editor]")) {
      dirty = false;
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Conflict view: copy one side into the editor, then let the person edit it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill-editor]");
    if (!button) {
      return;
    }
    var source = document.querySelector(button.getAttribute("data-fill-editor"));
    var editor = document.getElementById("id_body");
    if (source && editor) {
      editor.value = source.textContent;
      editor.dispatchEvent(new Event("input", { bubbles: true }));
      editor.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var errors = document.getElementById("form-errors");
    var target = errors || document.querySelector("[data-autofocus]");
    if (target) {
      if (errors) {
        errors.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  });
})();
