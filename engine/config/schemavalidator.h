#pragma once

#include "schemaviolation.h"

#include <QElapsedTimer>
#include <QList>
#include <QRegularExpression>

#include <optional>

class QJsonArray;
class QJsonObject;
class QJsonValue;

namespace Gatehouse {

struct SchemaNode;

// One validation run: walks a JSON value alongside a compiled SchemaNode tree and appends
// every violation it finds. Short-lived and single-threaded; many validators may read the
// same (immutable) tree at once, which is how JsonSchema::validate() stays thread-safe.
class SchemaValidator
{
public:
    explicit SchemaValidator(QList<SchemaViolation> *violations);

    // How long the patterns of one value may take altogether, in milliseconds.
    static constexpr qint64 kRegexBudgetMs = 100;

    void validate(const SchemaNode &node, const QJsonValue &value);
    // Rules for a JSON merge patch of an object that was valid; see JsonSchema::validatePatch().
    void validatePatch(const SchemaNode &node, const QJsonObject &patch);

private:
    // A JSON Pointer kept as a chain of stack frames; it only becomes a string when a
    // violation is reported, so valid documents never pay for building paths.
    struct Path
    {
        const Path *parent;
        QStringView member;
        qsizetype index;  // array index, or -1 when `member` applies
    };

    void check(const SchemaNode &node, const QJsonValue &value, const Path *path);
    void checkKeywords(const SchemaNode &node, const QJsonValue &value, const Path *path);
    void checkApplicators(const SchemaNode &node, const QJsonValue &value, const Path *path);
    void checkUnique(const QJsonArray &array, const Path *path);
    // What the pattern checks of one validation (nested ones included) may still spend.
    struct RegexBudget
    {
        QElapsedTimer timer;   // started at the first pattern
        bool spent = false;    // a pattern gave up, or time ran out: the value is refused
    };
    SchemaValidator(QList<SchemaViolation> *violations, RegexBudget *budget);
    // Whether the pattern finds `subject`; nullopt once the budget is spent.
    std::optional<bool> matches(const QRegularExpression &regex, const QString &subject);
    void reportSpentBudget();
    // Whether `value` satisfies `node`, reporting nothing (for if and not).
    bool passes(const SchemaNode &node, const QJsonValue &value, const Path *path);
    void checkNumber(const SchemaNode &node, double number, const Path *path);
    void checkString(const SchemaNode &node, const QString &string, const Path *path);
    void checkArray(const SchemaNode &node, const QJsonArray &array, const Path *path);
    void checkObject(const SchemaNode &node, const QJsonObject &object, const Path *path);
    // Checks `value` against every patternProperties schema whose regex finds `name`; true
    // when one did.
    bool checkPatternProperties(const SchemaNode &node, const QString &name, const QJsonValue &value, const Path *member);
    void checkPatch(const SchemaNode &node, const QJsonObject &patch, const Path *path);
    void report(const Path *path, const QString &message);

    QList<SchemaViolation> *m_violations;
    RegexBudget m_ownBudget;
    RegexBudget *m_budget;   // m_ownBudget, or the outer validation's
};

} // namespace Gatehouse
