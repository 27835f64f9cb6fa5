/**
 * The `msggw` command lines of README.md, as a reader would copy them: from shell code blocks
 * (`npx msggw ...`, or `$ npx msggw ...` in output blocks), a trailing `\` joining the next line,
 * comments dropped; and from inline code spans that start with `msggw ` or `npx msggw `.
 * Split into words the way a POSIX shell does for what the README uses: single and double
 * quotes, backslash escapes, `$(...)` command substitution kept as one word.
 */

/** One README command line. */
export interface ReadmeCommand {
  /** The line as written (joined continuation lines, comment dropped). */
  text: string;
  /** 1-based line of README.md where it starts. */
  line: number;
  /** From a fenced code block, or an inline code span in the prose. */
  where: 'block' | 'inline';
  /** The words after `msggw`, as the shell hands them over (`$(...)` left in place). */
  argv: string[];
}

/** Splits a command line into words (quotes removed); returns undefined when the quoting is open. */
export function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = line[i]!;
        if (c === '\\' && i + 1 < n && '"\\$`'.includes(line[i + 1]!)) {
          cur += line[i + 1];
          i += 2;
        } else if (c === '$' && line[i + 1] === '(') {
          const end = closingParen(line, i + 1);
          if (end < 0) return undefined;
          cur += line.slice(i, end + 1);
          i = end + 1;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          cur += c;
          i++;
        }
      }
      if (!closed) return undefined;
      inWord = true;
    } else if (ch === '\\' && i + 1 < n) {
      cur += line[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === '$' && line[i + 1] === '(') {
      const end = closingParen(line, i + 1);
      if (end < 0) return undefined;
      cur += line.slice(i, end + 1);
      inWord = true;
      i = end + 1;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (ch === '#' && !inWord) {
      break;
    } else {
      cur += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Every `msggw` command line of a README text. */
export function readmeCommands(readme: string): ReadmeCommand[] {
  const lines = readme.split('\n');
  const out: ReadmeCommand[] = [];
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const f = /^\s*```(\w*)/.exec(raw);
    if (f) {
      fence = fence === undefined ? f[1] || 'text' : undefined;
      continue;
    }
    if (fence !== undefined) {
      if (!['sh', 'bash', 'shell', 'text', 'console'].includes(fence)) continue;
      const m = /^\s*(?:\$ )?npx msggw (.*)$/.exec(raw);
      if (!m) continue;
      let text = m[1]!;
      const start = i + 1;
      while (/\\\s*$/.test(text) && i + 1 < lines.length) text = `${text.replace(/\\\s*$/, '')} ${lines[++i]!.trim()}`;
      // A placeholder to fill in (`<token serve printed>`) is one word.
      const argv = shellWords(text.replace(/<[^>]+>/g, (p) => `'${p}'`));
      if (argv === undefined) throw new Error(`README.md:${start}: unbalanced quotes in: ${text}`);
      out.push({ text: `msggw ${text.replace(/\s+#.*$/, '').trim()}`, line: start, where: 'block', argv });
      continue;
    }
    // Inline spans in the prose (and tables) that are whole examples (`msggw client --user u2`),
    // not a mention of a command or a flag, nor a pattern with placeholders (`--workers N`, `<prefix>`, `...`).
    for (const span of raw.matchAll(/`(?:npx )?msggw ([a-z][^`]*)`/g)) {
      const argv = shellWords(span[1]!);
      if (argv === undefined || argv.length < 3 || argv.some((w) => /[<>]|\.\.\.|^[A-Z]+$/.test(w))) continue;
      out.push({ text: `msggw ${span[1]}`, line: i + 1, where: 'inline', argv });
    }
  }
  return out;
}
