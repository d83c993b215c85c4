import { PRELUDE } from './prelude';

/** ARGV: now, id. Drops the reservation from every counter. */
export const RELEASE_SCRIPT = `${PRELUDE}
local id = ARGV[2]
for i = 1, #KEYS / KPC do
  local k = KPC * (i - 1)
  drop_hold(KEYS[k + 1], KEYS[k + 2], id)
end
return 1
`;
