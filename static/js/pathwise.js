/*
 * Pathwise page behaviour.
 *
 * Plain ES2020, no dependencies, loaded with `defer`. The site runs under a strict content
 * security policy (no inline handlers, no eval), so every behaviour that would otherwise be an
 * inline attribute lives here and is attached by delegation or by scanning the DOM:
 *
 *   1. Charts: `<div data-plotly-figure="fig-id">` + `{{ figure|json_script:"fig-id" }}` is drawn
 *      with Plotly once per element, on load and after every htmx swap.
 *   2. Confirmation: `<form data-confirm="Delete this pathway?">` asks before submitting.
 *      A submit button may carry its own `data-confirm`, which takes precedence.
 *   3. Messages: every `.message` gets a close button (opt out with `data-dismissable="false"`).
 *
 * Everything is idempotent: running it again over the same DOM changes nothing.
 */
(() => {
  "use strict";

  /* ------------------------------------------------------------------------------------------
   * 1. Plotly charts
   * ---------------------------------------------------------------------------------------- */

  const CHART_SELECTOR = "[data-plotly-figure]";

  /* Okabe-Ito order, used only when a figure does not choose its own colours. */
  const COLOURWAY = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
  ];

  const FONT_FAMILY =
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", ' +
    '"Liberation Sans", Arial, sans-serif';

  const CONFIG = { responsive: true, displaylogo: false };

  const plotlyReady = () =>
    typeof window.Plotly === "object" && typeof window.Plotly.newPlot === "function";

  /** Read the figure from the json_script element whose id the chart element names. */
  const readFigure = (el) => {
    const id = el.getAttribute("data-plotly-figure");
    const source = id ? document.getElementById(id) : null;
    if (!source) {
      throw new Error(`No figure data element with id "${id}"`);
    }
    let figure = JSON.parse(source.textContent);
    // A figure serialised with fig.to_json() and then json_script arrives as a JSON string.
    if (typeof figure === "string") {
      figure = JSON.parse(figure);
    }
    if (!figure || typeof figure !== "object") {
      throw new Error(`Figure "${id}" is not an object`);
    }
    return figure;
  };

  /** Match the page's type, palette and surface unless the figure says otherwise. */
  const withDefaults = (layout) => {
    const out = { ...(layout || {}) };
    out.font = { family: FONT_FAMILY, color: "#172033", ...(out.font || {}) };
    if (!out.colorway) {
      out.colorway = COLOURWAY;
    }
    // Let the chart sit on whatever surface holds it (card or page).
    if (out.paper_bgcolor === undefined) {
      out.paper_bgcolor = "rgba(0,0,0,0)";
    }
    return out;
  };

  const showChartError = (el) => {
    el.dataset.plotlyRendered = "error";
    const note = document.createElement("p");
    note.textContent =
      "This chart could not be displayed. The data table alongside it has the same figures.";
    el.replaceChildren(note);
  };

  const renderChart = (el) => {
    if (el.dataset.plotlyRendered) {
      return;
    }
    // Mark first so overlapping triggers (load + htmx) never draw the same element twice.
    el.dataset.plotlyRendered = "true";
    let figure;
    try {
      figure = readFigure(el);
    } catch (error) {
      console.error("Pathwise chart:", error);
      showChartError(el);
      return;
    }
    const data = Array.isArray(figure.data) ? figure.data : [];
    Promise.resolve()
      .then(() => window.Plotly.newPlot(el, data, withDefaults(figure.layout), CONFIG))
      .catch((error) => {
        console.error("Pathwise chart:", error);
        showChartError(el);
      });
  };

  const renderCharts = (root = document) => {
    if (!plotlyReady()) {
      return; // Plotly is only loaded on pages with charts.
    }
    const scope = root instanceof Element || root instanceof Document ? root : document;
    if (scope instanceof Element && scope.matches(CHART_SELECTOR)) {
      renderChart(scope);
    }
    scope.querySelectorAll(CHART_SELECTOR).forEach(renderChart);
  };

  /** Release Plotly's listeners (window resize etc.) for a chart element. */
  const purgeChart = (el) => {
    if (el.dataset.plotlyRendered === "true" && plotlyReady()) {
      try {
        window.Plotly.purge(el);
      } catch (error) {
        /* already detached: nothing to free */
      }
    }
    delete el.dataset.plotlyRendered;
  };

  /* ------------------------------------------------------------------------------------------
   * 2. Confirmation before submitting
   * ---------------------------------------------------------------------------------------- */

  const confirmMessageFor = (form, submitter) =>
    (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");

  // Capture phase on window: runs before htmx's own submit listener on the form, so a refusal
  // stops both a normal navigation and an hx-post/hx-boost request.
  window.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement)) {
        return;
      }
      const message = confirmMessageFor(form, event.submitter);
      if (!message) {
        return;
      }
      if (!window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );

  // An htmx element that is not a form (e.g. <button hx-delete=".." data-confirm="..">) fires no
  // "submit" event: ask before its request instead. Only the element's own attribute counts, so
  // polling or live-search requests inside a form[data-confirm] are never interrupted.
  document.addEventListener("htmx:confirm", (event) => {
    const detail = event.detail || {};
    const elt = detail.elt;
    if (!(elt instanceof Element) || elt instanceof HTMLFormElement) {
      return;
    }
    if (detail.triggeringEvent && detail.triggeringEvent.type === "submit") {
      return; // already confirmed by the submit listener above
    }
    const message = elt.getAttribute("data-confirm");
    if (!message || typeof detail.issueRequest !== "function") {
      return;
    }
    event.preventDefault();
    if (window.confirm(message)) {
      detail.issueRequest(true);
    }
  });

  /* ------------------------------------------------------------------------------------------
   * 3. Dismissable messages
   * ---------------------------------------------------------------------------------------- */

  const MESSAGE_SELECTOR = ".message";

  const addCloseButton = (message) => {
    if (
      message.dataset.dismissable === "false" ||
      message.querySelector(":scope > .message__close")
    ) {
      return;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "message__close";
    button.setAttribute("aria-label", "Dismiss message");
    const glyph = document.createElement("span");
    glyph.setAttribute("aria-hidden", "true");
    glyph.textContent = "\u00d7";
    button.append(glyph);
    message.append(button);
  };

  const enhanceMessages = (root = document) => {
    const scope = root instanceof Element || root instanceof Document ? root : document;
    if (scope instanceof Element && scope.matches(MESSAGE_SELECTOR)) {
      addCloseButton(scope);
    }
    scope.querySelectorAll(MESSAGE_SELECTOR).forEach(addCloseButton);
  };

  /** After removing a message, keep keyboard focus somewhere sensible. */
  const focusAfterDismiss = (next, previous) => {
    const target =
      (next && next.querySelector(".message__close")) ||
      (previous && previous.querySelector(".message__close")) ||
      document.getElementById("main");
    if (!target) {
      return;
    }
    if (target.id === "main" && !target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: true });
  };

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element && event.target.closest(".message__close");
    if (!button) {
      return;
    }
    const message = button.closest(MESSAGE_SELECTOR);
    if (!message) {
      return;
    }
    // The (possibly empty) .messages list stays in place: htmx may swap new messages into it.
    // CSS hides it while it holds no message.
    const next = message.nextElementSibling;
    const previous = message.previousElementSibling;
    const hadFocus = message.contains(document.activeElement);
    message.remove();
    if (hadFocus) {
      focusAfterDismiss(next, previous);
    }
  });

  /* ------------------------------------------------------------------------------------------
   * Wiring
   * ---------------------------------------------------------------------------------------- */

  const enhance = (root = document) => {
    enhanceMessages(root);
    renderCharts(root);
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => enhance(document), { once: true });
  } else {
    enhance(document);
  }

  // Plotly loaded with `async` (or late) is picked up once everything has loaded.
  window.addEventListener("load", () => renderCharts(document), { once: true });

  // New content from htmx (including out-of-band swaps): scan the whole document; every step
  // is idempotent, so already-enhanced elements are left alone.
  document.addEventListener("htmx:afterSettle", () => enhance(document));

  // Free Plotly's resources for charts htmx is about to remove.
  document.addEventListener("htmx:beforeCleanupElement", (event) => {
    const el = event.target;
    if (el instanceof Element && el.matches(CHART_SELECTOR)) {
      purgeChart(el);
    }
  });

  // htmx keeps a DOM snapshot for the back button. Save charts un-rendered so that restoring
  // the snapshot draws them afresh instead of showing a dead copy of the old SVG.
  document.addEventListener("htmx:beforeHistorySave", (event) => {
    const root = (event.detail && event.detail.historyElt) || document.body;
    root.querySelectorAll(CHART_SELECTOR).forEach((el) => {
      purgeChart(el);
      el.replaceChildren();
    });
  });

  document.addEventListener("htmx:historyRestore", () => enhance(document));
})();
