// Entry of the bodies lane's thread when Prescient runs from TypeScript source: as ./worker-source.cjs
// (CommonJS for the same reason), for ./body-worker.ts.
'use strict';
const loading = import('tsx/esm/api')
  .then(({ register }) => {
    register();
    return import('./body-worker.ts');
  })
  .then((module) => module.default);
module.exports = async function run(task) {
  return (await loading)(task);
};
