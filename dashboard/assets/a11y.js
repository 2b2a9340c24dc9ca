/* Accessibility of the officials' pages (issue 15). Served from this server like every
 * asset, so the Content-Security-Policy needs no hash for it.
 *
 * 1. <html lang> follows `?lang=` when the reader moves inside the app (the first HTML
 *    already has it: dashboard/app.py::_index_in_language).
 * 2. The keyboard focus is never dropped on <body>: when a filter link, a year link or a
 *    chip's remove link is activated, Dash redraws the page and the focused link leaves the
 *    document. The focus then goes to the same control in the new page (same id, same
 *    address, or same words in the same kind of control), else to the page's heading.
 *    A link of the main menu sends the focus to the new page's heading.
 * 3. Each page has its own title, in its language: "<page heading> — <app title>" (Dash
 *    gives every page the app's French title).
 */
(function () {
  "use strict";

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.a11y = {
    pageLanguage: function (search) {
      var lang = new URLSearchParams(search || "").get("lang") === "en" ? "en" : "fr";
      document.documentElement.lang = lang;
      return lang;
    }
  };

  var last = null;        // what had the focus last: the element and how to find its successor
  var toHeading = null;   // a menu link was followed: the heading it leaves behind

  function heading() {
    var h = document.querySelector("#main h2");
    if (h && !h.hasAttribute("tabindex")) { h.setAttribute("tabindex", "-1"); }
    return h;
  }

  function zoneOf(el) {
    var zone = el.closest && el.closest("#main, #nav, header, footer");
    return zone ? (zone.id ? "#" + zone.id : zone.tagName.toLowerCase()) : "body";
  }

  function describe(el) {
    var block = el.closest && el.closest(".chart-block[id]");
    return {
      el: el,
      id: el.id || null,
      href: el.getAttribute && el.getAttribute("href"),
      kind: typeof el.className === "string" ? el.className.split(" ")[0] : "",
      text: (el.textContent || "").trim(),
      zone: zoneOf(el),
      block: block ? block.id : null
    };
  }

  function visible(el) { return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length); }

  function successor(d) {
    if (d.zone === "#nav") { return heading(); }
    var scope = document.querySelector(d.zone) || document;
    var found = d.id ? document.getElementById(d.id) : null;
    var links = Array.prototype.slice.call(scope.querySelectorAll("a[href], button, summary, [tabindex]"));
    if (!found && d.href) {
      found = links.filter(function (a) { return a.getAttribute("href") === d.href && visible(a); })[0];
    }
    if (!found && d.kind && d.text) {
      found = links.filter(function (a) {
        return typeof a.className === "string" && a.className.split(" ")[0] === d.kind &&
               (a.textContent || "").trim() === d.text && visible(a);
      })[0];
    }
    if (!found && d.block) {
      var block = document.getElementById(d.block);
      found = block && block.querySelector(".chart-figure");
    }
    return found || heading();
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || active === document.documentElement;
  }

  document.addEventListener("focusin", function (event) {
    if (event.target && event.target !== document.body) { last = describe(event.target); }
  }, true);

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#nav a[href]");
    if (link) {
      var h = document.querySelector("#main h2");
      toHeading = { before: h, text: h ? h.textContent : null, at: Date.now() };
    }
  }, true);

  function retitle() {
    var h = document.querySelector("#main h2");
    var app = document.getElementById("app-title");
    if (h && app && app.textContent) {
      var title = h.textContent.trim() + " — " + app.textContent.trim();
      if (document.title !== title) { document.title = title; }
    }
  }

  function settle() {
    retitle();
    if (toHeading) {
      var h = document.querySelector("#main h2");
      if (Date.now() - toHeading.at > 15000) {
        toHeading = null;
      } else if (h && (h !== toHeading.before || h.textContent !== toHeading.text)) {
        toHeading = null;
        heading().focus();
        return;
      }
    }
    if (last && !last.el.isConnected && focusLost()) {
      var target = successor(last);
      if (target) {
        last = null;
        target.focus();
      }
    }
  }

  function start() {
    new MutationObserver(settle).observe(document.body, { childList: true, subtree: true });
    var title = document.querySelector("title");
    if (title) { new MutationObserver(retitle).observe(title, { childList: true, characterData: true, subtree: true }); }
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
