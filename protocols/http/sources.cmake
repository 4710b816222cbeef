# protocols/http: HTTP/1.1 server (llhttp over QTcpServer) on its own network thread.
list(APPEND GATEHOUSE_PROTOCOLS_SOURCES
    http/httpanswerqueue.cpp http/httpanswerqueue.h
    http/httpconnection.cpp http/httpconnection.h
    http/httpconnectionlink.cpp http/httpconnectionlink.h
    http/httpdeadlines.cpp http/httpdeadlines.h
    http/httphandler.h
    http/httplimits.h
    http/httplistener.cpp http/httplistener.h
    http/httplogging.cpp http/httplogging.h
    http/httprequest.cpp http/httprequest.h
    http/httprequestparser.cpp http/httprequestparser.h
    http/httpresponder.cpp http/httpresponder.h
    http/httpresponse.cpp http/httpresponse.h
    http/httpserver.cpp http/httpserver.h
    http/httpstream.cpp http/httpstream.h
    http/httpstreamstate.cpp http/httpstreamstate.h
    http/httpwire.cpp http/httpwire.h)
