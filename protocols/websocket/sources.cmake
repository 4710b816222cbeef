# protocols/websocket: RFC 6455 on /ws (our own framing: the HTTP server has already read the
# handshake when it hands the socket over), and the endpoints that serve /ws and /events/stream.
list(APPEND GATEHOUSE_PROTOCOLS_SOURCES
    websocket/liveendpoints.cpp websocket/liveendpoints.h
    websocket/websocketconnection.cpp websocket/websocketconnection.h
    websocket/websocketframe.cpp websocket/websocketframe.h
    websocket/websockethandshake.cpp websocket/websockethandshake.h
    websocket/websocketsession.cpp websocket/websocketsession.h)
