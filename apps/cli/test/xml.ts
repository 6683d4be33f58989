/**
 * A strict little XML parser for tests: checks well-formedness (one root, matched and properly
 * nested tags, quoted attributes without duplicates, only the five predefined entities or
 * numeric references, no stray `<` or `&`) and returns the element tree.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** Concatenated text directly inside the element (entities decoded). */
  text: string;
}

export class XmlError extends Error {}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;

function decode(raw: string, where: number): string {
  if (raw.includes("<")) throw new XmlError(`'<' in text or attribute value near offset ${where}`);
  return raw.replace(/&([^;]*);|&/g, (_match, entity: string | undefined) => {
    if (entity === undefined) throw new XmlError(`bare '&' near offset ${where}`);
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    if (entity in named) return named[entity]!;
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(entity);
    if (numeric)
      return String.fromCodePoint(
        entity[1] === "x" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10),
      );
    throw new XmlError(`unknown entity &${entity}; near offset ${where}`);
  });
}

/** Parses a document; throws `XmlError` when it is not well-formed. */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skipMisc = () => {
    for (;;) {
      const ws = /^\s*/.exec(source.slice(i))![0];
      i += ws.length;
      if (source.startsWith("<?", i)) {
        const end = source.indexOf("?>", i);
        if (end < 0) throw new XmlError("unterminated processing instruction");
        i = end + 2;
      } else if (source.startsWith("<!--", i)) {
        const end = source.indexOf("-->", i);
        if (end < 0) throw new XmlError("unterminated comment");
        i = end + 3;
      } else return;
    }
  };
  skipMisc();
  while (i < source.length) {
    if (root !== undefined && stack.length === 0) {
      skipMisc();
      if (i < source.length) throw new XmlError(`content after the root element at offset ${i}`);
      break;
    }
    if (source.startsWith("<!--", i)) {
      const end = source.indexOf("-->", i);
      if (end < 0) throw new XmlError("unterminated comment");
      i = end + 3;
      continue;
    }
    if (source.startsWith("</", i)) {
      const end = source.indexOf(">", i);
      if (end < 0) throw new XmlError("unterminated end tag");
      const name = source.slice(i + 2, end).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name)
        throw new XmlError(
          `end tag </${name}> does not match <${open?.name ?? "(none)"}> at offset ${i}`,
        );
      i = end + 1;
      continue;
    }
    if (source[i] === "<") {
      i++;
      const nameMatch = NAME.exec(source.slice(i));
      if (!nameMatch) throw new XmlError(`bad tag name at offset ${i}`);
      const name = nameMatch[0];
      i += name.length;
      const attributes: Record<string, string> = {};
      for (;;) {
        const ws = /^\s*/.exec(source.slice(i))![0];
        i += ws.length;
        if (source.startsWith("/>", i) || source[i] === ">") break;
        if (ws.length === 0)
          throw new XmlError(`missing space before attribute in <${name}> at offset ${i}`);
        const attr = NAME.exec(source.slice(i));
        if (!attr) throw new XmlError(`bad attribute in <${name}> at offset ${i}`);
        i += attr[0].length;
        const eq = /^\s*=\s*/.exec(source.slice(i));
        if (!eq) throw new XmlError(`attribute ${attr[0]} of <${name}> has no value`);
        i += eq[0].length;
        const quote = source[i];
        if (quote !== '"' && quote !== "'")
          throw new XmlError(`attribute ${attr[0]} of <${name}> is not quoted`);
        const end = source.indexOf(quote, i + 1);
        if (end < 0) throw new XmlError(`unterminated attribute ${attr[0]}`);
        if (attr[0] in attributes)
          throw new XmlError(`duplicate attribute ${attr[0]} in <${name}>`);
        attributes[attr[0]] = decode(source.slice(i + 1, end), i);
        i = end + 1;
      }
      const element: XmlElement = { name, attributes, children: [], text: "" };
      if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
      else if (root === undefined) root = element;
      else throw new XmlError("more than one root element");
      if (source.startsWith("/>", i)) i += 2;
      else {
        i += 1;
        stack.push(element);
      }
      continue;
    }
    const next = source.indexOf("<", i);
    const raw = source.slice(i, next < 0 ? source.length : next);
    if (stack.length === 0) {
      if (raw.trim() !== "") throw new XmlError(`text outside the root element at offset ${i}`);
    } else stack[stack.length - 1]!.text += decode(raw, i);
    i = next < 0 ? source.length : next;
  }
  if (stack.length > 0) throw new XmlError(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (root === undefined) throw new XmlError("no root element");
  return root;
}

/** Every element below (and including) `root`, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [root];
  for (const child of root.children) out.push(...allElements(child));
  return out;
}

/** Elements with `class="series"`, as a map from `data-series` to the element. */
export function seriesOf(root: XmlElement): Map<string, XmlElement> {
  const out = new Map<string, XmlElement>();
  for (const e of allElements(root))
    if (e.attributes["class"] === "series") out.set(e.attributes["data-series"] ?? "", e);
  return out;
}
