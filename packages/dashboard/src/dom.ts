// Every string shown on the page comes from files that agents write, so the dashboard builds DOM
// nodes and sets text only: no innerHTML, no attribute values that can run code.

/** A child accepted by `el`: a node, text (set as a text node), or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes for `el`: `class`, `title`, `data-*`, `aria-*` and a few safe others. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;

/** Creates an element with attributes and children; strings become text nodes, never markup. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      // Event-handler attributes would turn data into code; the dashboard never needs them.
      if (name.toLowerCase().startsWith("on")) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  appendChildren(node, children);
  return node;
}

/** Appends children, turning strings and numbers into text nodes. */
export function appendChildren(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  appendChildren(parent, children);
}

/** Returns the URL when it is http(s), else null (a `javascript:` PR url must never become a link). */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A link that opens in a new tab, or plain text when the URL is not http(s). */
export function externalLink(url: string | null | undefined, text: string, attrs: Attrs = {}): HTMLElement {
  const href = safeHttpUrl(url);
  if (!href) return el("span", attrs, text);
  return el("a", { ...attrs, href, target: "_blank", rel: "noopener noreferrer" }, text);
}

/** Finds a required element of the page skeleton (index.html) by id. */
export function requireElement(id: string): HTMLElement {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dashboard: index.html lacks #${id}`);
  return node;
}
