/**
 * Element builders and the document shell every chart shares: the <svg> root with the
 * font, a white background (a PNG of it is then never transparent) and the centred title.
 *
 * Attribute values and text pass through escapeXml here, so no chart can emit markup from
 * a series name or label.
 */
import { FONT_FAMILY, FONT_SIZE, TEXT_COLOR, escapeXml, num } from './svg';

export type Attributes = Record<string, string | number | undefined>;

/** Space around the figure's edge, in px. */
export const PAD = 12;

/** The band a title takes at the top of a figure (none without a title). */
export function titleHeight(title: string | undefined): number {
  return title ? FONT_SIZE.title + 18 : PAD;
}

export function tag(name: string, attributes: Attributes, content?: string): string {
  const list = Object.entries(attributes)
    .filter(
      (entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '',
    )
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`)
    .join('');
  return content === undefined ? `<${name}${list}/>` : `<${name}${list}>${content}</${name}>`;
}

export function text(x: number, y: number, content: string, attributes: Attributes = {}): string {
  return tag('text', { x, y, ...attributes }, escapeXml(content));
}

export function svgDocument(
  width: number,
  height: number,
  title: string | undefined,
  body: string[],
): string {
  const heading = title
    ? text(width / 2, PAD + FONT_SIZE.title, title, {
        'text-anchor': 'middle',
        'font-size': FONT_SIZE.title,
        'font-weight': 'bold',
      })
    : '';
  const root = {
    xmlns: 'http://www.w3.org/2000/svg',
    width,
    height,
    viewBox: `0 0 ${num(width)} ${num(height)}`,
    'font-family': FONT_FAMILY,
    fill: TEXT_COLOR,
  };
  const parts = [
    title ? tag('title', {}, escapeXml(title)) : '',
    tag('rect', { width, height, fill: '#ffffff' }),
    heading,
    ...body,
  ];
  return `${tag('svg', root, `\n${parts.filter(Boolean).join('\n')}\n`)}\n`;
}
