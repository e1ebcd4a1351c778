// Building DOM and SVG elements without innerHTML: every value goes in as text.

const SVG_NS = "http://www.w3.org/2000/svg";
const PROPERTIES = new Set(["value", "checked", "selected", "disabled"]);

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h("a", {href: "#/"}, "text", otherNode). */
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Remove every child of `el`, then append `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return fill(el, {}, children);
}

/** Text cut in the middle with an ellipsis to at most `max` characters. */
export function ellipsize(text, max) {
  const value = String(text);
  if (value.length <= max) return value;
  const head = Math.ceil((max - 1) * 0.45);
  const tail = max - 1 - head;
  return `${value.slice(0, head)}\u2026${value.slice(value.length - tail)}`;
}

/** A value for display: null and undefined as an en dash. */
export function show(value) {
  return value === null || value === undefined || value === "" ? "\u2013" : String(value);
}

/** A URL query ("a=1&b=2") with the colons of ISO times left readable. */
export function queryString(params) {
  return new URLSearchParams(params).toString().replace(/%3A/gi, ":");
}
