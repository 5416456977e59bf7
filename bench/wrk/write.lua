-- The floor's one-statement write: a new nonce per request.
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("id", tostring(math.random(1, 1e9))) end
init = function(args) thread_id = id or "0" end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/write", {["Content-Type"] = "application/json"},
                    string.format('{"nonce": "floor-%s-%d"}', thread_id, counter))
end
