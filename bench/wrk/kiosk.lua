-- Kiosk traffic for wrk: check-ins or pair-mode connections with a bearer token.
-- args: ACTION (checkins | connections), TOKEN, CODES_FILE (one badge code a line),
-- ROUND (a tag that keeps each run's nonces new).
-- Like real kiosks: every 10th request replays an earlier nonce (an offline queue
-- sending again) and every 5th check-in scans someone already in.
local threads = {}
local counter, codes, action, token, round = 0, {}, "checkins", "", "0"

setup = function(thread)
  thread:set("tag", tostring(#threads))
  table.insert(threads, thread)
end

init = function(args)
  action, token, round = args[1], args[2], args[4] or "0"
  for line in io.lines(args[3]) do table.insert(codes, line) end
  tag = tag or "0"  -- set by setup() for this thread
end

local function nonce(n) return string.format("wrk-%s-%s-%s-%d", action, round, tag, n) end

-- Each wrk thread takes its own half of the codes, so threads never scan the same person.
local function code(n)
  local half = math.floor(#codes / 2)
  local offset = (tonumber(tag) % 2) * half
  return codes[offset + (n % half) + 1]
end

request = function()
  local n = counter
  counter = counter + 1
  if n % 10 == 9 then n = math.floor(n / 2) end
  local body
  if action == "checkins" then
    local who = (n % 5 == 4) and math.floor(n / 5) or n
    body = string.format('{"code": "%s", "nonce": "%s"}', code(who), nonce(n))
  else
    body = string.format('{"scanner": "%s", "scanned": "%s", "nonce": "%s"}', code(n), code(n + 1), nonce(n))
  end
  return wrk.format("POST", "/api/v1/events/load/" .. action,
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
