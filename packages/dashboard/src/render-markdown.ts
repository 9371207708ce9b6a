// Briefings and DASHBOARD.md are markdown written by agents: parsed by `marked`, then cleaned by
// DOMPurify into a DOM fragment. Nothing is assigned to innerHTML here; scripts, event handlers,
// styles, images, forms and frames are removed, and links open in a new tab without an opener.
import DOMPurify from "dompurify";
import { Marked } from "marked";

const markdown = new Marked({ gfm: true, breaks: false, async: false });

// Remote images would tell third parties when the dashboard is open, so `img` goes too.
const FORBID_TAGS = [
  "img",
  "style",
  "form",
  "input",
  "button",
  "textarea",
  "select",
  "iframe",
  "object",
  "embed",
];
const FORBID_ATTR = ["style", "srcset"];

let hooked = false;
function hookLinks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });
}

/** Markdown → a sanitised DOM fragment, ready to append. */
export function renderMarkdown(text: string): DocumentFragment {
  hookLinks();
  const html = markdown.parse(text) as string;
  return DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}
