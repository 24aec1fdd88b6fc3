/** The config section: the study's config, as stored in config.json. */
import type { Section } from '../section';
import type { StudyModel } from '../study-model';

/** The study's config as stored in config.json. */
export function configSection(m: StudyModel): Section {
  return {
    kind: 'section',
    id: 'config',
    title: 'Config',
    blocks: [{ kind: 'code', text: JSON.stringify(m.config, null, 2) }],
  };
}
