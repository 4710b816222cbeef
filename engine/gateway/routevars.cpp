#include "routevars.h"

#include "api/apirequest.h"
#include "config/ecmaregex.h"

namespace Gatehouse {

namespace {
const QStringList kOps{QStringLiteral("=="), QStringLiteral("~="), QStringLiteral(">"), QStringLiteral("<"),
                       QStringLiteral("~~"), QStringLiteral("~*"), QStringLiteral("in"), QStringLiteral("has")};
}

RouteVars RouteVars::compile(const QJsonArray &vars, QStringList *errors)
{
    RouteVars out;
    for (qsizetype i = 0; i < vars.size(); ++i) {
        const QJsonArray t = vars.at(i).toArray();
        const QString pointer = QStringLiteral("/vars/%1").arg(i);
        Term term;
        qsizetype k = 0;
        term.variable = t.at(k++).toString();
        QString op = t.at(k++).toString();
        if (op == QLatin1String("!")) {
            term.negate = true;
            op = t.at(k++).toString();
        }
        term.op = op;
        term.value = t.at(k++);
        if (term.variable.isEmpty() || !kOps.contains(op) || t.size() != k) {
            if (errors)
                errors->append(pointer + QStringLiteral(": expected [variable, operator, value] with operator one of ")
                               + kOps.join(QStringLiteral(" ")) + QStringLiteral(" (optionally after \"!\")"));
            continue;
        }
        if (op == QLatin1String("~~") || op == QLatin1String("~*")) {
            term.regex = QRegularExpression(EcmaRegex::withMatchLimit(term.value.toString()),
                                            op == QLatin1String("~*") ? QRegularExpression::CaseInsensitiveOption
                                                                      : QRegularExpression::NoPatternOption);
            if (!term.regex.isValid() && errors)
                errors->append(pointer + QStringLiteral(": invalid regular expression: ") + term.regex.errorString());
        }
        if (op == QLatin1String("in") && !term.value.isArray() && errors)
            errors->append(pointer + QStringLiteral(": \"in\" takes an array"));
        out.m_terms.push_back(std::move(term));
    }
    return out;
}

QString RouteVars::variable(const ApiRequest &request, const QString &name)
{
    if (name.startsWith(QLatin1String("arg_")))
        return request.queryItem(name.mid(4));
    if (name.startsWith(QLatin1String("http_")))
        return QString::fromUtf8(request.header(name.mid(5).replace(QLatin1Char('_'), QLatin1Char('-')).toLower().toLatin1()));
    if (name.startsWith(QLatin1String("cookie_"))) {
        const QString wanted = name.mid(7);
        for (const QByteArray &part : request.header("cookie").split(';')) {
            const QByteArray kv = part.trimmed();
            const auto eq = kv.indexOf('=');
            if (eq > 0 && QString::fromUtf8(kv.left(eq)) == wanted)
                return QString::fromUtf8(kv.mid(eq + 1));
        }
        return {};
    }
    if (name == QLatin1String("uri"))
        return QString::fromUtf8(request.path);
    if (name == QLatin1String("request_method"))
        return QString::fromLatin1(request.method);
    if (name == QLatin1String("remote_addr"))
        return request.remoteAddress;
    if (name == QLatin1String("host")) {
        QByteArray host = request.header("host");
        if (const auto colon = host.lastIndexOf(':'); colon > 0 && !host.endsWith(']'))
            host.truncate(colon);
        return QString::fromUtf8(host).toLower();
    }
    return {};
}

RouteVars::Verdict RouteVars::evaluate(const ApiRequest &request) const
{
    // A term that cannot tell leaves the verdict open unless another term says no.
    bool undecided = false;
    for (const Term &t : m_terms) {
        const QString v = variable(request, t.variable);
        bool ok = false;
        if (t.op == QLatin1String("==")) {
            ok = v == (t.value.isString() ? t.value.toString() : QString::number(t.value.toDouble()));
        } else if (t.op == QLatin1String("~=")) {
            ok = v != (t.value.isString() ? t.value.toString() : QString::number(t.value.toDouble()));
        } else if (t.op == QLatin1String(">") || t.op == QLatin1String("<")) {
            bool isNumber = false;
            const double n = v.toDouble(&isNumber);
            const double limit = t.value.isString() ? t.value.toString().toDouble() : t.value.toDouble();
            ok = isNumber && (t.op == QLatin1String(">") ? n > limit : n < limit);
        } else if (t.op == QLatin1String("~~") || t.op == QLatin1String("~*")) {
            if (!v.isEmpty()) {
                const QRegularExpressionMatch m = t.regex.match(v);
                if (!m.isValid()) {   // gave up at the match limit, "!" or not
                    undecided = true;
                    continue;
                }
                ok = m.hasMatch();
            }
        } else if (t.op == QLatin1String("in")) {
            for (const QJsonValue &candidate : t.value.toArray())
                ok = ok || candidate.toString() == v;
        } else if (t.op == QLatin1String("has")) {
            ok = v.contains(t.value.toString());
        }
        if (ok == t.negate)
            return Verdict::No;
    }
    return undecided ? Verdict::Undecided : Verdict::Yes;
}

} // namespace Gatehouse
