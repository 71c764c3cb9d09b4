import { expect, it } from 'vitest';
import * as mongo from '@governance/store-mongodb';

it('@governance/store-mongodb exports the store and nothing else at run time (its option types besides)', () => {
  expect(Object.keys(mongo)).toEqual(['MongoStore']);
});
