'use strict'
const { newAdapter, userFixture } = require('./helpers')

test('a created user can be read back by id', async () => {
  const adapter = newAdapter()
  const user = userFixture()
  await adapter.createUser(user)
  expect(await adapter.getUser(user.id)).toEqual(user)
})
