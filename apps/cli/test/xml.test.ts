import { describe, expect, it } from "vitest";
import { parseXml, seriesOf } from "./xml";

describe("test XML parser", () => {
  it("parses nested elements, attributes and entities", () => {
    const root = parseXml(
      `<?xml version="1.0"?>\n<svg a="1" b='x &amp; y'><g class="series" data-series="s&lt;1&gt;"><path d="M0 0"/></g><text>a &#65; &#x42;</text></svg>\n`,
    );
    expect(root.name).toBe("svg");
    expect(root.attributes).toEqual({ a: "1", b: "x & y" });
    expect([...seriesOf(root).keys()]).toEqual(["s<1>"]);
    expect(root.children[1]!.text).toBe("a A B");
  });

  it.each([
    ["unclosed element", "<svg><g></svg>"],
    ["mismatched end tag", "<svg><g></h></svg>"],
    ["two roots", "<a/><b/>"],
    ["unquoted attribute", "<a x=1/>"],
    ["duplicate attribute", `<a x="1" x="2"/>`],
    ["bare ampersand", "<a>x & y</a>"],
    ["unknown entity", "<a>&nbsp;</a>"],
    ["text after root", "<a/>hello"],
    ["empty document", "  "],
    ["lt in attribute", `<a x="<"/>`],
  ])("rejects %s", (_what, source) => {
    expect(() => parseXml(source)).toThrow();
  });
});
