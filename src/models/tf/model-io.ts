import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { removeStrayTemporaries, writeFileAtomic } from '../../atomic-file.js';
import { PrescientError } from '../../errors.js';
import type { FitInfo } from '../forecaster.js';
import { initTensorflow, tf } from './backend.js';
import { GRID_POINTS } from './calibration.js';
import { blockCount, historyNeeded, SEQUENCE_FEATURES, sideFeatureCount } from './features.js';
import { FittedLstm, type LstmState } from './fitted-lstm.js';

/**
 * Persistence of a fitted LSTM under one directory, through a custom TF.js IO
 * handler (the file:// handler exists only in tfjs-node):
 *
 *   <dir>/lstm.json            manifest: format, version, topology, weight specs,
 *                              weights file name + sha256, normalisation, calibration, history tail
 *   <dir>/weights-<sha>.bin    the weights, named by content
 *
 * Atomic: the weights are written first under their content name, then the
 * manifest replaces the old one by rename (the commit point), then weights no
 * manifest names any more are removed. A crash leaves the old model or the
 * new one, never a mix.
 */

export const LSTM_FORMAT = 'prescient-lstm';
// 2: level-profile baseline (layout.levelSteps); version 1 saves are refitted.
export const LSTM_FORMAT_VERSION = 2;
const MANIFEST = 'lstm.json';

const positiveInt = z.number().int().positive();
const finite = z.number().finite();

const manifestSchema = z.object({
  format: z.literal(LSTM_FORMAT),
  version: z.literal(LSTM_FORMAT_VERSION),
  savedAtMs: finite,
  modelTopology: z.record(z.string(), z.unknown()),
  weightSpecs: z.array(
    z.object({
      name: z.string(),
      shape: z.array(z.number().int().nonnegative()),
      dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
    }),
  ),
  weightsFile: z.string().regex(/^weights-[0-9a-f]{16}\.bin$/),
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  weightsBytes: z.number().int().nonnegative(),
  state: z.object({
    layout: z.object({
      inputSteps: positiveInt,
      seasonSteps: z.number().int().nonnegative(),
      baselineSeasons: positiveInt,
      profileSeasons: z.number().int().nonnegative(),
      levelSteps: z.number().int().nonnegative(),
      weeklySteps: z.number().int().nonnegative(),
      horizonSteps: positiveInt,
      blockEdges: z.array(z.number().int().nonnegative()).min(2),
      stepMs: z.number().positive(),
      mean: finite,
      std: z.number().positive(),
    }),
    tail: z.array(finite),
    nextMs: finite,
    calibration: z.array(z.array(finite).length(GRID_POINTS)),
  }),
  info: z.object({ model: z.string(), notes: z.array(z.string()) }),
});

type Manifest = z.infer<typeof manifestSchema>;

function persistenceError(message: string, cause?: unknown): PrescientError {
  return new PrescientError('PRESCIENT_ERR_PERSISTENCE', message, cause === undefined ? {} : { cause });
}

/** Checks that the state is self-consistent, so predict cannot index out of range. */
function checkState(state: LstmState, dir: string): void {
  const { layout } = state;
  const edges = layout.blockEdges;
  const increasing = edges.every((e, i) => i === 0 || e > (edges[i - 1] as number));
  if (edges[0] !== 0 || edges[edges.length - 1] !== layout.horizonSteps || !increasing) {
    throw persistenceError(`${dir}: lstm block edges do not cover the horizon`);
  }
  if (layout.seasonSteps > 0 && layout.horizonSteps > layout.seasonSteps) {
    throw persistenceError(`${dir}: lstm horizon is longer than its season`);
  }
  if (state.tail.length !== historyNeeded(layout)) throw persistenceError(`${dir}: lstm history tail has the wrong length`);
  if (state.calibration.length !== blockCount(layout)) throw persistenceError(`${dir}: lstm calibration has the wrong number of blocks`);
}


/**
 * Saves a fitted LSTM under `dir` (created if missing), replacing what was there.
 * @throws PrescientError PRESCIENT_ERR_PERSISTENCE when the files cannot be written,
 *   PRESCIENT_ERR_INTERNAL when the model was disposed.
 */
export async function saveLstm(fitted: FittedLstm, dir: string): Promise<void> {
  const network = fitted.network();
  let artifacts: tf.io.ModelArtifacts | undefined;
  await network.save(
    tf.io.withSaveHandler(async (captured) => {
      artifacts = captured;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.modelTopology || !artifacts.weightSpecs || artifacts.weightData === undefined) {
    throw persistenceError('TF.js returned no topology or weights to save');
  }
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const sha = createHash('sha256').update(weights).digest('hex');
  const manifest: Manifest = {
    format: LSTM_FORMAT,
    version: LSTM_FORMAT_VERSION,
    savedAtMs: Date.now(),
    modelTopology: artifacts.modelTopology as Record<string, unknown>,
    weightSpecs: artifacts.weightSpecs.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    weightsFile: `weights-${sha.slice(0, 16)}.bin`,
    weightsSha256: sha,
    weightsBytes: weights.byteLength,
    state: {
      layout: { ...fitted.state.layout, blockEdges: [...fitted.state.layout.blockEdges] },
      tail: [...fitted.state.tail],
      nextMs: fitted.state.nextMs,
      calibration: fitted.state.calibration.map((row) => [...row]),
    },
    info: { model: fitted.info.model, notes: [...fitted.info.notes] },
  };
  try {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, manifest.weightsFile), weights);
    await writeFileAtomic(join(dir, MANIFEST), JSON.stringify(manifest));
    for (const name of await readdir(dir)) {
      if (/^weights-[0-9a-f]{16}\.bin$/.test(name) && name !== manifest.weightsFile) await rm(join(dir, name), { force: true });
    }
    // What a save killed half-way (before this process started) left behind.
    await removeStrayTemporaries(dir, () => true);
  } catch (cause) {
    throw persistenceError(`cannot save lstm to ${dir}: ${(cause as Error).message}`, cause);
  }
}

/**
 * Loads a fitted LSTM saved by saveLstm; it predicts exactly what the saved one did.
 * @throws PrescientError PRESCIENT_ERR_PERSISTENCE when the directory holds no
 *   model, or a corrupt, foreign, or other-version one.
 */
export async function loadLstm(dir: string): Promise<FittedLstm> {
  await initTensorflow();
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (cause) {
    throw persistenceError(`no saved lstm in ${dir}: ${(cause as Error).message}`, cause);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw persistenceError(`${dir}/${MANIFEST} is not JSON`, cause);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join('.')}: ${first.message}` : 'invalid';
    throw persistenceError(`${dir}/${MANIFEST} is not a version ${LSTM_FORMAT_VERSION} ${LSTM_FORMAT} manifest (${where})`, parsed.error);
  }
  const manifest = parsed.data;
  const state: LstmState = manifest.state;
  checkState(state, dir);

  let weights: Buffer;
  try {
    weights = await readFile(join(dir, manifest.weightsFile));
  } catch (cause) {
    throw persistenceError(`cannot read ${dir}/${manifest.weightsFile}: ${(cause as Error).message}`, cause);
  }
  if (weights.byteLength !== manifest.weightsBytes || createHash('sha256').update(weights).digest('hex') !== manifest.weightsSha256) {
    throw persistenceError(`${dir}/${manifest.weightsFile} does not match its checksum`);
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: manifest.modelTopology, weightSpecs: manifest.weightSpecs, weightData }),
    );
  } catch (cause) {
    throw persistenceError(`${dir}: the saved network cannot be rebuilt: ${String(cause)}`, cause);
  }
  const { layout } = state;
  const [sequenceShape, sideShape] = model.inputs.map((input) => input.shape);
  const outputShape = model.outputs[0]?.shape;
  const shapesMatch =
    model.inputs.length === 2 &&
    sequenceShape?.[1] === layout.inputSteps &&
    sequenceShape[2] === SEQUENCE_FEATURES &&
    sideShape?.[1] === sideFeatureCount(layout) &&
    outputShape?.[1] === blockCount(layout);
  if (!shapesMatch) {
    model.dispose();
    throw persistenceError(`${dir}: the saved network does not match its layout`);
  }
  const info: FitInfo = { model: manifest.info.model, notes: [...manifest.info.notes, `loaded from ${dir}`] };
  return new FittedLstm(model, state, info);
}
