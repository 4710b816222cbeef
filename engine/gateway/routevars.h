#pragma once

#include <QJsonArray>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <vector>

namespace Gatehouse {

struct ApiRequest;

// APISIX route `vars`: a list of [variable, operator, value] that must all hold, e.g.
// [["arg_version","==","2"], ["http_x_region","~~","^eu-"], ["cookie_beta","!","==","1"]].
// Variables: arg_<name>, http_<name> (header, '_' for '-'), cookie_<name>, uri, host,
// request_method, remote_addr. Operators: ==, ~=, >, <, ~~ (regex), ~* (regex, any case), in,
// has; a leading "!" negates. Compiled once with the route table.
class RouteVars final
{
public:
    // Undecided: a regular expression gave up at its match limit on this request's value, so
    // whether the terms hold is not known (a route treats that as a refusal, not a miss).
    enum class Verdict { No, Yes, Undecided };

    static RouteVars compile(const QJsonArray &vars, QStringList *errors);
    Verdict evaluate(const ApiRequest &request) const;
    bool matches(const ApiRequest &request) const { return evaluate(request) == Verdict::Yes; }
    bool isEmpty() const { return m_terms.empty(); }

    static QString variable(const ApiRequest &request, const QString &name);   // empty when absent

private:
    struct Term
    {
        QString variable;
        QString op;
        bool negate = false;
        QJsonValue value;
        QRegularExpression regex;
    };
    std::vector<Term> m_terms;
};

} // namespace Gatehouse
