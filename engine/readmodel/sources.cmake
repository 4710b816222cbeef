list(APPEND GATEHOUSE_ENGINE_SOURCES
    readmodel/storeddocument.cpp readmodel/storeddocument.h
    readmodel/listquery.cpp readmodel/listquery.h
    readmodel/cursorsigner.cpp readmodel/cursorsigner.h
    readmodel/readstore.cpp readmodel/readstore.h readmodel/readstore_p.h
    readmodel/readstorewritetransaction.cpp
    readmodel/documentcache.cpp readmodel/documentcache.h
    readmodel/documentfold.cpp readmodel/documentfold.h)
