/**
 * Editing a TUI prompt. A prompt opens empty or with its default *selected*: typing replaces
 * the selection, Backspace or Ctrl-U clears it, Enter takes it, → keeps it for editing. Keys
 * arriving in one chunk (a paste, fast typing, tmux send-keys of a whole string) are split so
 * control keys are honoured wherever they sit in the chunk.
 */
import type { Key } from 'ink';

/** A prompt's editable part. */
export interface PromptText {
  text: string;
  /** The whole text is selected: the next printable key replaces it. */
  selected: boolean;
}

/** What a key did to the prompt. */
export type PromptOutcome = 'submit' | 'cancel' | undefined;

/** A key event with nothing pressed: the base the decoded keys (and the TUI tests) build on. */
export const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/**
 * Splits one input chunk into single keys: printable characters as they are, and the control
 * characters a terminal sends (Enter, Backspace, Tab, Esc, Ctrl-letter) as the keys they are.
 * A chunk of one key is passed through.
 */
export function splitChunk(input: string, key: Key): [string, Key][] {
  if (input.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  const out: [string, Key][] = [];
  let text = '';
  const flush = () => {
    // Printable runs stay together only per character: each may change the prompt's state.
    for (const ch of text) out.push([ch, NO_KEY]);
    text = '';
  };
  for (const ch of input) {
    const c = ch.charCodeAt(0);
    if (c >= 0x20 && c !== 0x7f) {
      text += ch;
      continue;
    }
    flush();
    if (ch === '\r' || ch === '\n') out.push(['', { ...NO_KEY, return: true }]);
    else if (ch === '\x7f' || ch === '\b') out.push(['', { ...NO_KEY, backspace: true }]);
    else if (ch === '\t') out.push(['', { ...NO_KEY, tab: true }]);
    else if (ch === '\x1b') out.push(['', { ...NO_KEY, escape: true }]);
    else out.push([String.fromCharCode(c + 96), { ...NO_KEY, ctrl: true }]);
  }
  flush();
  return out;
}

/** Applies one key to the prompt; says when it was submitted or cancelled. */
export function editPrompt(p: PromptText, input: string, key: Key): PromptOutcome {
  if (key.escape) return 'cancel';
  if (key.return) return 'submit';
  if (key.backspace || key.delete) {
    p.text = p.selected ? '' : p.text.slice(0, -1);
    p.selected = false;
    return undefined;
  }
  if (key.ctrl) {
    if (input === 'u') p.text = '';
    // Ctrl-W: the last word (and the spaces after it).
    else if (input === 'w') p.text = p.selected ? '' : p.text.replace(/\S*\s*$/, '');
    p.selected = false;
    return undefined;
  }
  if (key.rightArrow || key.end || key.leftArrow || key.home) {
    p.selected = false;
    return undefined;
  }
  if (input && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
    p.text = p.selected ? input : p.text + input;
    p.selected = false;
  }
  return undefined;
}
