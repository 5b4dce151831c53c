import { sampleCustomers } from './src/sample/customers.ts';
import { fitModel } from './src/synth/fit.ts';
import { sampleShard } from './src/synth/sample.ts';
import { customerProfile } from './test/helpers/customer-profile.ts';
const t = sampleCustomers(2000, 1);
const model = fitModel(customerProfile(t), t, { seed: 7, rareCategoryMin: 5 });
const m2 = { ...model, columns: model.columns.filter(c => c.marginal.type !== 'pii') };
m2.copula = { ...model.copula, members: model.copula.members.map(i => i - 6) };
for (let k = 0; k < 3; k++) {
let t0 = performance.now();
sampleShard(m2, { rows: 100000, seed: 7, shard: k });
console.log('8 cols 100k ms', performance.now() - t0);
}
