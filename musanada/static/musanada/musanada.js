/* Musanada: small enhancements over pages that work without JavaScript.
 * - file inputs with a drop zone: files can be dropped or picked in several goes, are listed with their
 *   sizes, and refused ones are explained before any upload (the server checks everything again);
 * - the escalation form says which central service a requalified category goes to;
 * - after an htmx answer replaces the page's main content, focus goes where the answer needs attention;
 * - a list's "select every request of this page" box checks or clears the boxes of its rows;
 * - a screenshot pasted into a text area joins the files of its form, named after the moment it was pasted;
 * - what is typed in a text area is kept in this browser until the form is accepted, so that an expired
 *   session, a refused form or a lost connection never loses a reply.
 * Texts come translated from the page (data- attributes), never from this file.
 */
(function () {
  "use strict";

  var chosen = new WeakMap(); // file input → the files it will send

  function fill(template, values) {
    return (template || "").replace(/%\((\w+)\)s/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  // Sizes as the page's language writes them in Morocco (Latin digits in Arabic too, as CLDR's ar-MA).
  function formatSize(bytes) {
    var lang = document.documentElement.lang || "ar";
    var unit = "byte";
    var value = bytes;
    if (bytes >= 1024 * 1024) {
      unit = "megabyte";
      value = bytes / (1024 * 1024);
    } else if (bytes >= 1024) {
      unit = "kilobyte";
      value = bytes / 1024;
    }
    try {
      return new Intl.NumberFormat(lang + "-MA", {
        style: "unit", unit: unit, unitDisplay: "short", maximumFractionDigits: 1
      }).format(value);
    } catch (error) {
      return Math.round(value * 10) / 10 + " " + { byte: "B", kilobyte: "KB", megabyte: "MB" }[unit];
    }
  }

  function extension(name) {
    var dot = name.lastIndexOf(".");
    return dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
  }

  function sameFile(a, b) {
    return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
  }

  /* Keep the acceptable files among the kept and the new ones; say why each other one was left out. */
  function select(input, incoming) {
    var data = input.dataset;
    var types = (data.types || "").split(",");
    var maxBytes = parseInt(data.maxBytes, 10);
    var maxFiles = parseInt(data.maxFiles, 10);
    var kept = (chosen.get(input) || []).slice();
    var refused = [];
    Array.prototype.forEach.call(incoming, function (file) {
      if (kept.some(function (other) { return sameFile(other, file); })) return;
      var values = { name: file.name };
      if (types.indexOf(extension(file.name)) < 0) refused.push(fill(data.msgType, values));
      else if (file.size === 0) refused.push(fill(data.msgEmpty, values));
      else if (file.size > maxBytes) refused.push(fill(data.msgSize, values));
      else if (kept.length >= maxFiles) refused.push(fill(data.msgCount, values));
      else kept.push(file);
    });
    apply(input, kept, refused);
  }

  function apply(input, kept, refused) {
    chosen.set(input, kept);
    if (typeof DataTransfer === "function") {
      var transfer = new DataTransfer();
      kept.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
    }
    render(input, kept, refused || []);
  }

  function render(input, kept, refused) {
    var list = document.getElementById(input.id + "_list");
    if (!list) return;
    list.textContent = "";
    kept.forEach(function (file, index) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "file-name";
      name.textContent = file.name;
      var size = document.createElement("span");
      size.className = "file-size";
      size.textContent = formatSize(file.size);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link remove-file";
      remove.textContent = "×";
      remove.setAttribute("aria-label", fill(input.dataset.msgRemove, { name: file.name }));
      remove.addEventListener("click", function () {
        var rest = kept.slice(0, index).concat(kept.slice(index + 1));
        apply(input, rest, []);
        input.focus();
      });
      item.append(name, " ", size, " ", remove);
      list.append(item);
    });
    refused.forEach(function (message) {
      var item = document.createElement("li");
      item.className = "refused";
      item.setAttribute("role", "alert");
      item.textContent = message;
      list.append(item);
    });
  }

  function enhance(root) {
    (root || document).querySelectorAll("[data-dropzone]").forEach(function (zone) {
      if (zone.classList.contains("enhanced")) return;
      var input = zone.querySelector("input[type=file]");
      if (!input || typeof DataTransfer !== "function") return;
      zone.classList.add("enhanced");
      var hint = zone.querySelector(".drop-hint");
      if (hint) hint.hidden = false;
      var list = document.getElementById(input.id + "_list");
      if (list) {
        var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        described.push(list.id);
        input.setAttribute("aria-describedby", described.join(" "));
      }
      chosen.set(input, []);
      input.addEventListener("change", function () {
        select(input, input.files);
      });
      zone.addEventListener("dragover", function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
      zone.addEventListener("dragleave", function () {
        zone.classList.remove("dragging");
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        zone.classList.remove("dragging");
        if (event.dataTransfer && event.dataTransfer.files.length) select(input, event.dataTransfer.files);
      });
    });
  }

  // "Select all" in a list: shown only where this script runs, it follows and sets the rows' boxes.
  function enhanceSelectAll(root) {
    (root || document).querySelectorAll("input[data-select-all]").forEach(function (all) {
      all.hidden = false;
    });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    var form = box.form;
    if (!form || box.type !== "checkbox") return;
    var rows = form.querySelectorAll("input[name=tickets]");
    var all = form.querySelector("input[data-select-all]");
    if (!all) return;
    if (box === all) {
      rows.forEach(function (row) { row.checked = all.checked; });
    } else {
      var checked = Array.prototype.filter.call(rows, function (row) { return row.checked; }).length;
      all.checked = checked === rows.length;
      all.indeterminate = checked > 0 && checked < rows.length;
    }
  });

  // A pasted image (a screenshot) becomes a file of the form the text area belongs to.
  document.addEventListener("paste", function (event) {
    var area = event.target;
    var input = area.form && area.form.querySelector("[data-dropzone].enhanced input[type=file]");
    var data = event.clipboardData;
    var items = data ? data.files : [];
    // Text copied from an office program also carries a picture of itself: the text is what was meant.
    if (!input || !items.length || data.getData("text/plain")) return;
    var stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
    var files = Array.prototype.map.call(items, function (file, index) {
      var ext = extension(file.name) || (file.type.split("/")[1] || "png");
      var suffix = items.length > 1 ? "-" + (index + 1) : "";
      return new File([file], "screenshot-" + stamp + suffix + "." + ext, { type: file.type, lastModified: Date.now() });
    });
    event.preventDefault();
    select(input, files);
  });

  // Escalation from an academy: the central service follows the chosen category.
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.closest && field.closest("#action-escalate");
    if (!form || field.name !== "category") return;
    var map = document.getElementById("escalate-destinations");
    var line = document.getElementById("escalate-destination");
    var desk = map && JSON.parse(map.textContent)[field.value];
    if (desk && line) line.querySelector("[data-destination-text]").textContent = fill(line.dataset.template, { desk: desk });
  });

  // A canned reply chosen: its text goes into the reply box (after what is there), to be edited there.
  document.addEventListener("change", function (event) {
    var select = event.target;
    var area = select.dataset && document.getElementById(select.dataset.cannedTarget || "");
    var option = area && select.selectedOptions[0];
    if (!option || !option.value) return;
    area.value = area.value.trim() ? area.value.replace(/\s*$/, "\n\n") + option.dataset.text : option.dataset.text;
    area.dispatchEvent(new Event("input", { bubbles: true }));
    select.value = "";
    area.focus();
  });

  // After htmx replaced the main content: the first field in error, else the refusal, else the confirmation.
  document.addEventListener("htmx:afterSettle", function (event) {
    var main = document.getElementById("main");
    if (!main || event.detail.target !== main) return;
    enhance(main);
    var target = main.querySelector("[aria-invalid=true]") || document.getElementById("ticket-error") ||
      document.getElementById("messages") || main;
    target.focus();
  });

  // An answer htmx does not swap (the ticket is gone from this user's sight, a server error): show the page.
  document.addEventListener("htmx:responseError", function () {
    window.location.reload();
  });

  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt;
    if (!form || !form.prepend || form.querySelector(".offline")) return;
    var alert = document.createElement("p");
    alert.className = "alert error offline";
    alert.setAttribute("role", "alert");
    alert.textContent = document.body.dataset.msgOffline;
    form.prepend(alert);
  });

  /* Drafts. Kept per form address and field in localStorage; a submitted form's drafts are forgotten when
   * the next page says the action was done (a success message), and kept otherwise (the session expired,
   * the form was refused, the connection failed). A draft older than a week is dropped. */
  var DRAFT = "musanada-draft:";
  var SENT = "musanada-draft-sent";
  var WEEK = 7 * 24 * 3600 * 1000;

  function draftKey(area) {
    var form = area.form;
    if (!form || (form.getAttribute("method") || "").toLowerCase() !== "post") return null;
    return DRAFT + (form.getAttribute("action") || window.location.pathname) + "#" + area.name;
  }

  function storage() {
    try { return window.localStorage; } catch (error) { return null; }
  }

  function forgetSent(root) {
    var store = storage();
    var sent = window.sessionStorage && window.sessionStorage.getItem(SENT);
    if (!store || !sent) return;
    if ((root || document).querySelector(".messages .success")) {
      JSON.parse(sent).forEach(function (key) { store.removeItem(key); });
    }
    window.sessionStorage.removeItem(SENT);
  }

  function restoreDrafts(root) {
    var store = storage();
    if (!store) return;
    (root || document).querySelectorAll("textarea[name]").forEach(function (area) {
      var key = draftKey(area);
      if (!key || area.value.trim()) return;
      var kept = JSON.parse(store.getItem(key) || "null");
      if (!kept || Date.now() - kept.at > WEEK) { store.removeItem(key); return; }
      area.value = kept.text;
      var details = area.closest("details");
      if (details) details.open = true;
      var note = document.createElement("p");
      note.className = "draft-note";
      note.textContent = document.body.dataset.msgDraft;
      area.insertAdjacentElement("beforebegin", note);
    });
  }

  document.addEventListener("input", function (event) {
    var area = event.target;
    var key = area.tagName === "TEXTAREA" && draftKey(area);
    var store = storage();
    if (!key || !store) return;
    if (area.value.trim()) store.setItem(key, JSON.stringify({ text: area.value, at: Date.now() }));
    else store.removeItem(key);
  });

  document.addEventListener("submit", function (event) {
    var keys = Array.prototype.map.call(event.target.querySelectorAll("textarea[name]"), draftKey)
      .filter(Boolean);
    if (keys.length && window.sessionStorage) window.sessionStorage.setItem(SENT, JSON.stringify(keys));
  }, true);

  document.addEventListener("htmx:afterSettle", function (event) {
    var main = document.getElementById("main");
    if (!main || event.detail.target !== main) return;
    forgetSent(main);
    restoreDrafts(main);
  });

  forgetSent(document);
  restoreDrafts(document);
  enhance(document);
  enhanceSelectAll(document);
  // The lists swap their own region (#inbox-results), not the main content.
  document.addEventListener("htmx:afterSettle", function (event) { enhanceSelectAll(event.detail.target); });
})();
