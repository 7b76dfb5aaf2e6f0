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
 *   4. Tables: cells get their column's heading as `data-label` (phones stack rows into cards);
 *      a `.table-wrap` that scrolls sideways becomes a named, focusable region.
 *   5. Header: on narrow screens the navigation collapses behind a "Menu" button.
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

  /* Below this width a chart is on a phone: no toolbar (it covers the title, and the data
   * table beside every chart does its job), titles wrapped instead of clipped. */
  const NARROW_CHART = 600;

  /** Break a title into lines of about `width` characters with Plotly's `<br>`. */
  const wrapTitle = (text, width) => {
    if (typeof text !== "string" || text.length <= width || text.includes("<br>")) {
      return text;
    }
    const lines = [];
    let line = "";
    text.split(" ").forEach((word) => {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    });
    if (line) {
      lines.push(line);
    }
    return lines.join("<br>");
  };

  const titleText = (title) => (typeof title === "string" ? title : title && title.text);

  const withTitle = (title, text) =>
    typeof title === "object" && title !== null ? { ...title, text } : { text };

  /** On a narrow chart, wrap the chart and axis titles and make room for the extra lines. */
  const fitToWidth = (layout, width) => {
    if (width >= NARROW_CHART) {
      return layout;
    }
    const out = { ...layout };
    out.title = withTitle(out.title, titleText(out.title));
    out.title.font = { size: 15, ...((out.title && out.title.font) || {}) };
    // About 0.6 em per character at the title's 17-18 px: a line never runs past the chart.
    const chars = Math.max(18, Math.floor(width / 9.5));
    const text = titleText(out.title);
    if (text) {
      const wrapped = wrapTitle(text, chars);
      out.title = withTitle(out.title, wrapped);
      const lines = wrapped.split("<br>").length;
      out.margin = { ...(out.margin || {}) };
      out.margin.t = Math.max(out.margin.t || 0, 24 + 22 * lines);
    }
    Object.keys(out)
      .filter((key) => /^[xy]axis\d*$/.test(key))
      .forEach((key) => {
        const axis = { ...(out[key] || {}) };
        const axisText = titleText(axis.title);
        if (axisText) {
          axis.title = withTitle(axis.title, wrapTitle(axisText, chars));
        }
        axis.automargin = true;
        out[key] = axis;
      });
    return out;
  };

  /** On a narrow chart, the category labels of horizontal bars wrap, so the bars keep room. */
  const fitDataToWidth = (data, width) => {
    if (width >= NARROW_CHART) {
      return data;
    }
    const chars = Math.max(10, Math.floor(width / 24));
    return data.map((trace) => {
      if (trace.orientation !== "h" || !Array.isArray(trace.y)) {
        return trace;
      }
      // Values go inside the bar where they fit: outside, they would be cut at the edge.
      return {
        ...trace,
        y: trace.y.map((label) => wrapTitle(label, chars)),
        textposition: trace.textposition === "outside" ? "auto" : trace.textposition,
      };
    });
  };

  /** Give wrapped bar labels the height they need, and drop the category axis title that
   * the labels already say (the data table beside the chart names the column). */
  const fitBarsToWidth = (layout, data, width) => {
    const bars = data.filter((t) => t.orientation === "h" && Array.isArray(t.y));
    if (width >= NARROW_CHART || !bars.length) {
      return layout;
    }
    const rows = bars[0].y.length;
    const lines = Math.max(1, ...bars[0].y.map((label) => String(label).split("<br>").length));
    const out = { ...layout };
    const margin = out.margin || {};
    out.height = Math.max(out.height || 0, rows * (lines * 17 + 12) + (margin.t || 80) + 90);
    out.yaxis = { ...(out.yaxis || {}), title: { text: "" } };
    return out;
  };

  /* A chart holds focusable controls, so it cannot be an image (axe: nested-interactive);
   * it is a figure, named by its aria-label, whose data table sits beside it. */
  const asFigure = (el) => {
    if (el.getAttribute("role") !== "figure") {
      el.setAttribute("role", "figure");
    }
  };

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
    asFigure(el);
    let figure;
    try {
      figure = readFigure(el);
    } catch (error) {
      console.error("Pathwise chart:", error);
      showChartError(el);
      return;
    }
    const width = el.clientWidth || window.innerWidth;
    const data = fitDataToWidth(Array.isArray(figure.data) ? figure.data : [], width);
    const layout = fitBarsToWidth(fitToWidth(withDefaults(figure.layout), width), data, width);
    const config = { ...CONFIG, displayModeBar: width >= NARROW_CHART ? "hover" : false };
    Promise.resolve()
      .then(() => window.Plotly.newPlot(el, data, layout, config))
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
   * 4. Tables on phones, and scrolling regions a keyboard can reach
   * ---------------------------------------------------------------------------------------- */

  /* On a phone every table stacks each row into a card (CSS); each cell is labelled with its
   * column's heading, copied here into `data-label` (a template may set its own). */
  const labelCells = (table) => {
    const heads = Array.from(table.querySelectorAll(":scope > thead > tr:last-child > th"));
    if (!heads.length) {
      return;
    }
    const labels = heads.map((th) => th.textContent.replace(/\s+/g, " ").trim());
    table.querySelectorAll(":scope > tbody > tr").forEach((row) => {
      let column = 0;
      Array.from(row.children).forEach((cell) => {
        if (!cell.hasAttribute("data-label") && labels[column]) {
          cell.setAttribute("data-label", labels[column]);
        }
        column += cell.colSpan || 1;
      });
    });
  };

  /* A wrapper that scrolls must take keyboard focus and carry a name (axe:
   * scrollable-region-focusable); one that does not scroll stays out of the tab order. */
  const fitScrollRegion = (wrap) => {
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    if (scrolls && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.dataset.focusAdded = "true";
    } else if (!scrolls && wrap.dataset.focusAdded) {
      wrap.removeAttribute("tabindex");
      delete wrap.dataset.focusAdded;
    }
    if (wrap.hasAttribute("tabindex") && !wrap.hasAttribute("role")) {
      const caption = wrap.querySelector("caption");
      const heading = wrap.closest("section, .card, main")?.querySelector("h1, h2, h3");
      const name = (caption || heading)?.textContent.replace(/\s+/g, " ").trim();
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", name || "Table");
    }
  };

  const enhanceTables = (root = document) => {
    const scope = root instanceof Element || root instanceof Document ? root : document;
    scope.querySelectorAll("table.table").forEach(labelCells);
    if (scope instanceof Element && scope.matches("table.table")) {
      labelCells(scope);
    }
    document.querySelectorAll(".table-wrap").forEach(fitScrollRegion);
  };

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      document.querySelectorAll(".table-wrap").forEach(fitScrollRegion);
    }, 150);
  });

  /* ------------------------------------------------------------------------------------------
   * 5. The header's menu collapses on narrow screens
   * ---------------------------------------------------------------------------------------- */

  const setUpMenu = () => {
    const toggle = document.querySelector("[data-menu-toggle]");
    const menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (!toggle || !menu || toggle.dataset.ready) {
      return;
    }
    toggle.dataset.ready = "true";
    document.documentElement.classList.add("has-menu-toggle");
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("is-open", open);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.classList.contains("is-open")) {
        toggle.setAttribute("aria-expanded", "false");
        menu.classList.remove("is-open");
        toggle.focus();
      }
    });
  };

  /* ------------------------------------------------------------------------------------------
   * Wiring
   * ---------------------------------------------------------------------------------------- */

  const enhance = (root = document) => {
    setUpMenu();
    enhanceMessages(root);
    enhanceTables(root);
    renderCharts(root);
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => enhance(document), { once: true });
  } else {
    enhance(document);
  }

  // Plotly loaded with `async` (or late) is picked up once everything has loaded.
  window.addEventListener("load", () => renderCharts(document), { once: true });
  // Widths are final once fonts and images have loaded: check the scrolling wrappers again.
  window.addEventListener("load", () => enhanceTables(document), { once: true });

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
