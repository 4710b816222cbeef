# protocols/sse: Server-Sent Events on GET /events/stream, and the live-delivery parts the
# WebSocket endpoint shares (event cursor, filter, the network-thread feed, options).
list(APPEND GATEHOUSE_PROTOCOLS_SOURCES
    sse/eventfilter.cpp sse/eventfilter.h
    sse/eventsubscription.cpp sse/eventsubscription.h
    sse/livefeed.cpp sse/livefeed.h
    sse/livelogging.cpp sse/livelogging.h
    sse/liveoptions.h
    sse/ssesession.cpp sse/ssesession.h)
