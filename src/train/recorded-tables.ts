/**
 * How a run's config.json records the critical-batch tables its ramps follow: relative to the
 * run directory, so that a run directory moved (or reached through a symlink) together with its
 * tables, as a switch study's is (its `table: measured` ramps follow a table inside the study's
 * own folder), resumes as the same run. A config.json of an older gradscope holds the absolute
 * path: it is compared in the same relative form, so such a run resumes where it was written.
 */
import * as path from 'path';
import type { TrainConfig } from './config';

/** `config` with each ramp's table path relative to `runDir`, as config.json records it. */
export function recordedTables(config: TrainConfig, runDir: string): TrainConfig {
  const ramps = config.piggyback?.ramps;
  if (!ramps?.some((r) => r.table !== undefined)) return config;
  return {
    ...config,
    piggyback: {
      ...config.piggyback!,
      ramps: ramps.map((r) =>
        r.table === undefined ? r : { ...r, table: path.relative(runDir, path.resolve(r.table)) },
      ),
    },
  };
}

/** A config.json's `config` as it compares with recordedTables' form: an absolute table path
 * (an older gradscope's) made relative to `runDir`; anything else as it is. */
export function storedTables(stored: unknown, runDir: string): unknown {
  const ramps = (stored as { piggyback?: { ramps?: unknown } } | null)?.piggyback?.ramps;
  if (!Array.isArray(ramps)) return stored;
  const config = stored as { piggyback: Record<string, unknown> };
  return {
    ...config,
    piggyback: {
      ...config.piggyback,
      ramps: ramps.map((r: unknown) => {
        const table = (r as { table?: unknown } | null)?.table;
        return typeof table === 'string' && path.isAbsolute(table)
          ? { ...(r as object), table: path.relative(runDir, table) }
          : r;
      }),
    },
  };
}
