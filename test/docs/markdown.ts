// Reading the project's Markdown the way its checks need it: tables under a heading, code spans, links.

/**
 * The body rows of the first table after the heading named `heading` (any level), each as its cells, trimmed.
 * Throws when there is no such heading or table, so that a renamed section fails loudly instead of checking
 * nothing.
 */
export function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split("\n");
  const start = lines.findIndex(
    (line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, "").trim() === heading,
  );
  if (start === -1) throw new Error(`no heading "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,6} /.test(line)) break;
    if (!line.startsWith("|")) {
      if (rows.length > 0) break;
      continue;
    }
    rows.push(cells(line));
  }
  // rows[0] is the header, rows[1] the |---| line.
  if (rows.length < 3) throw new Error(`no table with rows after "${heading}"`);
  return rows.slice(2);
}

/** The text under the heading named `heading` (any level), up to the next heading; throws when there is none. */
export function sectionAfter(markdown: string, heading: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex(
    (line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, "").trim() === heading,
  );
  if (start === -1) throw new Error(`no heading "${heading}"`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => /^#{1,6} /.test(line));
  return rest.slice(0, end === -1 ? undefined : end).join("\n");
}

/** A table row's cells; `\|` inside a cell is a literal bar, not a separator. */
function cells(line: string): string[] {
  return line
    .replace(/^\|/, "")
    .replace(/\|\s*$/, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll("\\|", "|"));
}

/** The contents of the inline code spans of `text` (`like this`). */
export function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] as string);
}

/** Inline code spans and the lines of fenced code blocks: where commands, variables and paths are written. */
export function codeOf(markdown: string): string[] {
  const fenced: string[] = [];
  const prose = markdown.replace(/^```[^\n]*\n([\s\S]*?)^```/gm, (_block, body: string) => {
    fenced.push(...body.split("\n"));
    return "";
  });
  return [...codeSpans(prose), ...fenced];
}

/** The targets of Markdown links, `[text](target)`, without their `#anchor`; web and mail links left out. */
export function localLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] as string)
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith("#"))
    .map((target) => target.replace(/#.*$/, ""));
}

/**
 * The body of the first fenced code block after the first line of `markdown` that contains `marker`; throws when
 * there is none, so that a moved or renamed block fails loudly instead of checking nothing.
 */
export function fencedBlockAfter(markdown: string, marker: string): string {
  const at = markdown.indexOf(marker);
  if (at === -1) throw new Error(`no "${marker}" in the document`);
  const match = /^```[^\n]*\n([\s\S]*?)^```/m.exec(markdown.slice(at));
  if (match === null) throw new Error(`no code block after "${marker}"`);
  return match[1] as string;
}
