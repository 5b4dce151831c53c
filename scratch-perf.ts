import { sampleCustomers } from './src/sample/customers.ts';
import { fitModel } from './src/synth/fit.ts';
import { sampleShard } from './src/synth/sample.ts';
import { createPiiGenerator, fakeValue } from './src/synth/pii.ts';
import { customerProfile } from './test/helpers/customer-profile.ts';
const t = sampleCustomers(2000, 1);
const model = fitModel(customerProfile(t), t, { seed: 7, rareCategoryMin: 5 });
const m2 = { ...model, columns: model.columns.map(c => c.marginal.type === 'pii' ? { ...c, marginal: { type: 'text' as const, lengths: [5, 10] } } : c) };
let t0 = performance.now();
sampleShard(m2, { rows: 100000, seed: 7, shard: 0 });
console.log('no pii 100k ms', performance.now() - t0);
for (const sem of ['person_name','email','phone','ssn','street_address','date_of_birth']) {
  const g = createPiiGenerator(sem, 1, sem === 'phone' ? '(###) ###-####' : undefined);
  t0 = performance.now(); for (let i = 0; i < 100000; i++) g(); console.log(sem, performance.now() - t0);
}
t0 = performance.now(); for (let i = 0; i < 1000; i++) fakeValue('email', i); console.log('fakeValue x1000', performance.now() - t0);
t0 = performance.now(); for (let i = 0; i < 100; i++) createPiiGenerator('email', i); console.log('create x100', performance.now() - t0);
