// Worker entry when Prescient runs from TypeScript source (npm start, tests): registers tsx's loader
// inside this thread, then imports the real entry. On Node 20 `--import tsx` in a worker's execArgv does
// not reliably reach the worker's own module graph; registering here does.
// CommonJS on purpose: piscina require()s its worker file before it tries import(), and on Node 20 a
// require() of an ES module (this entry was one, with a top-level await) can abort the whole process
// ("FATAL ERROR: v8::Module::IsGraphAsync must be used on an instantiated module", once in a CI run).
// A CommonJS file is required plainly; the ES modules are loaded by import() alone.
'use strict';
const loading = import('tsx/esm/api')
  .then(({ register }) => {
    register();
    return import('./worker.ts');
  })
  .then((module) => module.default);
module.exports = async function run(task) {
  return (await loading)(task);
};
