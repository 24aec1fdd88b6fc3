/** The page's header: the study's name, a demo-scale warning, what it ran on, and the
 * banners of a run that diverged or is not finished. */
import { runStateBanners } from '../run-state';
import type { Block, Section } from '../section';
import type { StudyModel } from '../study-model';

export function headerSection(m: StudyModel): Section {
  const blocks: Block[] = [{ kind: 'heading', level: 1, text: m.name }];
  if (m.scale === 'demo')
    blocks.push({
      kind: 'paragraph',
      text: 'DEMO SCALE: fewer epochs and draws than the study; for a first look, not for conclusions.',
      attributes: { class: 'banner', 'data-scale': 'demo' },
    });
  blocks.push(
    {
      kind: 'paragraph',
      text: `${m.data}; seeds ${m.seeds.join(', ')}; gradscope ${m.gradscope}; written ${new Date().toISOString()}`,
    },
    { kind: 'html', html: runStateBanners(m) },
  );
  return { kind: 'header', blocks };
}
