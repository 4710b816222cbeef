-- wrk: list queries on /api/products over the bench-0 .. bench-(N-1) products created beforehand:
-- a sorted first page, a filtered page on an indexed field and a page on an unindexed one, in turn.
local n = tonumber(os.getenv("PRODUCTS") or "1000")
local counter = 0
request = function()
    counter = counter + 1
    local kind = counter % 3
    if kind == 0 then return wrk.format("GET", "/api/products?sort=-price&limit=20") end
    if kind == 1 then return wrk.format("GET", "/api/products?price[gte]=" .. (counter % n) .. "&limit=20") end
    return wrk.format("GET", "/api/products?stock[ne]=3&sort=name&limit=20")
end
done = function(summary, latency, requests)
    local non2xx = summary.errors.status
    io.write(string.format("WRK_RESULT requests=%d duration_us=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d\n",
        summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx))
end
