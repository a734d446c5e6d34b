-- wrk script of `musanada bench load` (musanada/demo/bench_http.py writes its inputs and reads its output).
-- Run with one wrk thread (-t1): the counter that walks the files of bodies and references is then shared by
-- all the connections. Environment:
--   BENCH_MODE    get | post
--   BENCH_PATH    the path of a GET
--   BENCH_COOKIE  Cookie header (the web pages), may be empty
--   BENCH_AUTH    Authorization header (the API), may be empty
--   BENCH_BODIES  post: a file of JSON bodies, one a line, sent in turn
--   BENCH_PATHS   post: a file of paths, one a line, each used once in turn (escalations: one ticket each);
--                 without it every POST goes to BENCH_PATH. The result's "sent" says how many were built.
--   BENCH_OUT     the file that receives one JSON line of results
local mode = os.getenv("BENCH_MODE") or "get"
local path = os.getenv("BENCH_PATH") or "/"
local cookie = os.getenv("BENCH_COOKIE") or ""
local auth = os.getenv("BENCH_AUTH") or ""
local out = os.getenv("BENCH_OUT")

local function lines(name)
  local items = {}
  if name ~= nil and name ~= "" then
    for line in io.lines(name) do
      if line ~= "" then items[#items + 1] = line end
    end
  end
  return items
end

local bodies = lines(os.getenv("BENCH_BODIES"))
local paths = lines(os.getenv("BENCH_PATHS"))
local headers = {}
if cookie ~= "" then headers["Cookie"] = cookie end
if auth ~= "" then headers["Authorization"] = auth end
local post_headers = {["Content-Type"] = "application/json"}
for name, value in pairs(headers) do post_headers[name] = value end

-- Global, so that done() can read how many requests this thread built (thread:get).
sent = 0
request = function()
  if mode == "post" then
    sent = sent + 1
    local body = bodies[((sent - 1) % #bodies) + 1]
    local target = path
    if #paths > 0 then target = paths[((sent - 1) % #paths) + 1] end
    return wrk.format("POST", target, post_headers, body)
  end
  return wrk.format("GET", path, headers)
end

codes = {}
response = function(status, response_headers, body)
  codes[status] = (codes[status] or 0) + 1
end

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end

done = function(summary, latency, requests)
  local all = {}
  local built = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("codes") or {}) do all[status] = (all[status] or 0) + n end
    built = built + (thread:get("sent") or 0)
  end
  local parts = {}
  for status, n in pairs(all) do parts[#parts + 1] = string.format('"%d": %d', status, n) end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  local line = string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"max_ms": %.2f, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"sent": %d, "codes": {%s}}',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    built, table.concat(parts, ", "))
  if out then
    local file = io.open(out, "w")
    file:write(line .. "\n")
    file:close()
  else
    print(line)
  end
end
