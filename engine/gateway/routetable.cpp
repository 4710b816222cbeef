#include "routetable.h"

#include "api/apirequest.h"
#include "routevars.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace Gatehouse {

namespace {
enum MethodBit : quint32 {
    Get = 1, Post = 2, Put = 4, Patch = 8, Delete = 16, Head = 32, Options = 64, Other = 128,
};

quint32 methodBit(QByteArrayView m)
{
    if (m == "GET") return Get;
    if (m == "POST") return Post;
    if (m == "PUT") return Put;
    if (m == "PATCH") return Patch;
    if (m == "DELETE") return Delete;
    if (m == "HEAD") return Head;
    if (m == "OPTIONS") return Options;
    return Other;
}
} // namespace

struct RouteTable::Entry
{
    const Route *route;
    QStringList paramNames;   // in segment order
    quint32 methods;          // bit set; all bits when the route lists none
    std::shared_ptr<RouteVars> vars;   // null when the route has none
};

struct RouteTable::Node
{
    QHash<QString, Node *> literals;   // open addressing: one probe, no node chains to walk
    std::vector<std::unique_ptr<Node>> owned;
    std::unique_ptr<Node> param;
    std::vector<Entry> terminal;   // routes ending here
    std::vector<Entry> wildcard;   // routes ending here with "/*": match zero or more further segments

    Node *child(const QString &segment)
    {
        if (segment.startsWith(QLatin1Char(':'))) {
            if (!param)
                param = std::make_unique<Node>();
            return param.get();
        }
        Node *&slot = literals[segment];
        if (!slot)
            slot = owned.emplace_back(std::make_unique<Node>()).get();
        return slot;
    }
};

RouteTable::RouteTable(QList<Route> routes)
    : m_routes(std::move(routes))
    , m_root(std::make_unique<Node>())
{
    for (const Route &route : std::as_const(m_routes)) {
        if (!route.enabled)
            continue;
        Entry entry{&route, {}, 0, nullptr};
        if (!route.vars.isEmpty())
            entry.vars = std::make_shared<RouteVars>(RouteVars::compile(route.vars, nullptr));
        for (const QString &m : route.methods) {
            entry.methods |= methodBit(m.toLatin1());
            if (m == QLatin1String("GET"))
                entry.methods |= Head;
        }
        if (route.methods.isEmpty())
            entry.methods = ~0u;

        QString uri = route.uri;
        bool wildcard = false;
        if (uri.endsWith(QLatin1Char('*'))) {
            wildcard = true;
            uri.chop(1);
        }
        Node *node = m_root.get();
        for (const QString &segment : splitPath(uri.toUtf8())) {
            if (segment.startsWith(QLatin1Char(':')))
                entry.paramNames.append(segment.mid(1));
            node = node->child(segment);
        }
        (wildcard ? node->wildcard : node->terminal).push_back(entry);
    }
    // Higher priority first; stable so that equal priorities keep definition order.
    std::function<void(Node *)> sortNode = [&](Node *n) {
        auto byPriority = [](const Entry &a, const Entry &b) { return a.route->priority > b.route->priority; };
        std::stable_sort(n->terminal.begin(), n->terminal.end(), byPriority);
        std::stable_sort(n->wildcard.begin(), n->wildcard.end(), byPriority);
        for (const auto &child : n->owned)
            sortNode(child.get());
        if (n->param)
            sortNode(n->param.get());
    };
    sortNode(m_root.get());
}

RouteTable::~RouteTable() = default;

QStringList RouteTable::splitPath(QByteArrayView path)
{
    QStringList segments;
    qsizetype start = 0;
    const qsizetype n = path.size();
    while (start < n) {
        if (path.at(start) == '/') {
            ++start;
            continue;
        }
        qsizetype end = start;
        while (end < n && path.at(end) != '/')
            ++end;
        const QByteArrayView raw = path.sliced(start, end - start);
        segments.append(raw.contains('%') ? QString::fromUtf8(QByteArray::fromPercentEncoding(raw.toByteArray()))
                                          : QString::fromUtf8(raw));
        start = end;
    }
    return segments;
}

RouteTable::Match RouteTable::match(QByteArrayView method, QByteArrayView path) const
{
    ApiRequest request;
    request.method = method.toByteArray();
    request.path = path.toByteArray();
    return match(request);
}

RouteTable::Match RouteTable::match(const ApiRequest &request) const
{
    Match result;
    const QByteArrayView method = request.method;
    const QStringList segments = splitPath(request.path);
    const QString host = RouteVars::variable(request, QStringLiteral("host"));
    const quint32 bit = methodBit(method);
    QStringList values;
    quint32 allowed = 0;
    const Entry *found = nullptr;
    const Entry *undecided = nullptr;
    qsizetype wildcardFrom = -1;

    // Returns the entry chosen, or `undecided` (which ends the walk) when one could not tell.
    auto pick = [&](const std::vector<Entry> &entries) -> const Entry * {
        for (const Entry &e : entries) {
            // Host and vars decide whether a route applies at all; the method only whether
            // it answers 405 instead.
            if (!e.route->allowsHost(host))
                continue;
            if (e.vars) {
                const RouteVars::Verdict verdict = e.vars->evaluate(request);
                // Undecided only matters where the route would answer: for another method its
                // vars change nothing but the 405's list, which it is then left out of.
                if (verdict == RouteVars::Verdict::Undecided && (e.methods & bit)) {
                    undecided = &e;
                    return &e;
                }
                if (verdict != RouteVars::Verdict::Yes)
                    continue;
            }
            if (e.methods & bit)
                return &e;
            allowed |= e.methods;
        }
        return nullptr;
    };
    // Depth-first with backtracking: literal, then parameter, then wildcard at each level.
    std::function<bool(const Node *, qsizetype)> walk = [&](const Node *node, qsizetype i) -> bool {
        if (i == segments.size()) {
            if ((found = pick(node->terminal)))
                return true;
        } else {
            if (const Node *next = node->literals.value(segments.at(i)); next && walk(next, i + 1))
                return true;
            if (node->param) {
                values.append(segments.at(i));
                if (walk(node->param.get(), i + 1))
                    return true;
                values.removeLast();
            }
        }
        if ((found = pick(node->wildcard))) {
            wildcardFrom = i;
            return true;
        }
        return false;
    };

    const bool chosen = walk(m_root.get(), 0);
    if (undecided) {
        result.outcome = Match::Undecided;
        result.route = undecided->route;
        return result;
    }
    if (chosen) {
        result.outcome = Match::Found;
        result.route = found->route;
        for (qsizetype k = 0; k < found->paramNames.size() && k < values.size(); ++k)
            result.params.insert(found->paramNames.at(k), values.at(k));
        if (wildcardFrom >= 0)
            result.params.insert(QStringLiteral("*"), segments.mid(wildcardFrom).join(QLatin1Char('/')));
        return result;
    }
    if (allowed) {
        result.outcome = Match::MethodNotAllowed;
        static const std::pair<quint32, const char *> names[] = {
            {Get, "GET"}, {Head, "HEAD"}, {Post, "POST"}, {Put, "PUT"}, {Patch, "PATCH"}, {Delete, "DELETE"}, {Options, "OPTIONS"}};
        for (const auto &[b, name] : names) {
            if (allowed & b)
                result.allowedMethods.append(QString::fromLatin1(name));
        }
    }
    return result;
}

const Route *RouteTable::route(const QString &id) const
{
    for (const Route &r : m_routes) {
        if (r.id == id)
            return &r;
    }
    return nullptr;
}

} // namespace Gatehouse
