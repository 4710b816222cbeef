# The rooms of the house. Every folder of engine/ and protocols/ is one static library that
# lists, in USES, exactly the rooms it may include; those arrows point one way (README, Layout,
# has the table; tests/layout checks that it matches what is built).
#
# A room's include root is a directory of its own in the build tree holding one symbolic link,
# named like the folder, to the folder. So "store/eventstore.h" is on the include path of the
# store room and of the rooms that use it (the link is PUBLIC), and of no other: an include
# that runs against the arrows does not compile. Inside a room, files include each other by
# name (the compiler looks beside the including file first).
#
#   gatehouse_room(<target> USES <rooms...> [LIBS <public libraries...>]
#                  [PRIVATE_LIBS <libraries...>] SOURCES <files...>)
function(gatehouse_room target)
    cmake_parse_arguments(PARSE_ARGV 1 ROOM "" "" "USES;LIBS;PRIVATE_LIBS;SOURCES")
    if(ROOM_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "gatehouse_room(${target}): unknown arguments ${ROOM_UNPARSED_ARGUMENTS}")
    endif()
    get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)
    set(root ${CMAKE_BINARY_DIR}/rooms/${target})
    file(MAKE_DIRECTORY ${root})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${root}/${folder} SYMBOLIC)
    add_library(${target} STATIC ${ROOM_SOURCES})
    target_include_directories(${target} PUBLIC ${root})
    target_link_libraries(${target} PUBLIC gatehouse_common Qt6::Core ${ROOM_USES} ${ROOM_LIBS} PRIVATE ${ROOM_PRIVATE_LIBS})
    list(JOIN ROOM_USES " " uses)
    set_property(GLOBAL APPEND PROPERTY GATEHOUSE_ROOM_ARROWS "${target}:${uses}")
endfunction()

# Written once every room is declared: one line per room, "<room>: <rooms it uses>", for the
# layout test to compare with README.
function(gatehouse_write_room_arrows file)
    get_property(arrows GLOBAL PROPERTY GATEHOUSE_ROOM_ARROWS)
    list(SORT arrows)
    list(JOIN arrows "\n" text)
    file(WRITE ${file} "${text}\n")
endfunction()
