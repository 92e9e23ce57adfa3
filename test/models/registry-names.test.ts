import { describe, expect, it } from 'vitest';
import { isModelName, MODEL_NAMES } from '../../src/config/schema.js';
import { forecasters } from '../../src/models/registry.js';

describe('model names known without loading the models', () => {
  it('lists exactly the registered models, so REST checks a name as the registry would', () => {
    expect([...MODEL_NAMES].sort()).toEqual([...forecasters.keys()].sort());
    expect(isModelName('lstm')).toBe(true);
    expect(isModelName('prophet')).toBe(false);
  });
});
