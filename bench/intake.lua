-- wrk script for the intake benchmark (bench/intake_bench.py): POST a report at a random point of
-- the generated city, as one of the bench's residents (tokens from the file given after --), with
-- an Idempotency-Key of its own (the floor ignores both headers).
--   wrk -s bench/intake.lua URL -- TOKENS_FILE MIN_LNG MIN_LAT MAX_LNG MAX_LAT
local tokens = {}
local box = {}
local counter = 0
local thread_id = 0
local next_thread = 0

function setup(thread)
  thread:set("id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  box = {tonumber(args[2]), tonumber(args[3]), tonumber(args[4]), tonumber(args[5])}
  thread_id = id or 0
  math.randomseed(os.time() + thread_id * 7919)
end

function request()
  counter = counter + 1
  local lng = box[1] + math.random() * (box[3] - box[1])
  local lat = box[2] + math.random() * (box[4] - box[2])
  local body = string.format(
    '{"category":"ROAD-LIGHT","description":"基准上报 %d-%d","location":{"lng":%.6f,"lat":%.6f,"coord_system":"wgs84"}}',
    thread_id, counter, lng, lat)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[(counter + thread_id) % #tokens + 1],
    ["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), thread_id, counter),
  }
  return wrk.format("POST", "/api/v1/matters", headers, body)
end
