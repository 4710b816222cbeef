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
    static RouteVars compile(const QJsonArray &vars, QStringList *errors);
    bool matches(const ApiRequest &request) const;
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
