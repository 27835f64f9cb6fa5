import type { ReactNode } from 'react';
import { Box, Text } from 'ink';

/** Props of {@link Pane}. */
export interface PaneProps {
  title: string;
  /** Shown at the right end of the title border (counts, modes). */
  info?: string;
  width: number;
  height: number;
  focused?: boolean;
  /** Border colour override (e.g. to flag a fresh change). */
  color?: string;
  children?: ReactNode;
}

/**
 * A rounded frame with its title drawn into the top border, so the title costs no line of the
 * pane's body. Children get `height - 2` lines of `width - 2` columns.
 */
export function Pane({ title, info, width, height, focused, color, children }: PaneProps) {
  const c = color ?? (focused ? 'cyan' : 'gray');
  // ╭─ title ───── info ─╮ : four border characters around title, dashes and info.
  const room = Math.max(0, width - 4);
  const head = ` ${title} `.slice(0, room);
  const tail = info && head.length + info.length + 2 <= room ? ` ${info} ` : '';
  const dashes = Math.max(0, room - head.length - tail.length);
  return (
    <Box flexDirection="column" width={width} height={height} flexShrink={0}>
      <Text color={c} wrap="truncate">
        ╭─
        <Text bold color={focused ? 'cyanBright' : 'white'}>
          {head}
        </Text>
        {'─'.repeat(dashes)}
        <Text color="white">{tail}</Text>
        ─╮
      </Text>
      <Box borderStyle="round" borderTop={false} borderColor={c} flexDirection="column" width={width} height={height - 1} overflow="hidden">
        {children}
      </Box>
    </Box>
  );
}
