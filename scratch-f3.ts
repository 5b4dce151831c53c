import { en, en_US, Faker } from '@faker-js/faker';
const f = new Faker({ locale: [en_US, en] }); f.seed(1);
const l: any = f.rawDefinitions.location;
console.log(l.building_number, l.street_suffix?.length, l.street_name?.length, (f.rawDefinitions as any).internet.example_email);
