#pragma once

#include <QString>

#include <memory>
#include <optional>

namespace Gatehouse::Simulation {

class SeededRandom;

// Strings that match a JSON Schema `pattern` (an ECMA-262 regular expression, searched
// unanchored as the engine's validator does), for generated documents. The pattern is parsed
// once into a tree that generates matching text directly, lengths included: literals and
// escapes (\d \w \s \D \W \S \t \n \xHH \uHHHH, escaped punctuation), classes ([a-z0-9_-],
// [^...]), `.`, quantifiers (? * + {n} {n,} {n,m}, lazy or not), groups (capturing,
// (?:...), (?<name>...)), alternation, anchors and back-references. Every candidate is then
// checked with the engine's own regex (EcmaRegex), so what is returned always matches.
// Constructs outside that subset (lookaround, \b, \p{...}) are approximated -- ignored, or a
// letter -- and a bounded number of candidates is tried; a pattern none of them matches gets
// nullopt, which the scenario reader reports before a run starts rather than during it.
//
// Immutable after construction: copies share the tree, and generate() may run on any number
// of threads at once, each with its own SeededRandom.
class PatternGenerator
{
public:
    static constexpr int kAttempts = 64;   // candidates tried per generate()

    explicit PatternGenerator(const QString &ecmaPattern);
    ~PatternGenerator();
    PatternGenerator(const PatternGenerator &);
    PatternGenerator &operator=(const PatternGenerator &);

    QString pattern() const;
    bool isValid() const;        // the engine would accept it (it compiles)
    bool isExact() const;        // parsed and inside the subset: no approximation involved
    bool matches(const QString &text) const;   // as the engine's validator decides

    // A matching string of `minLength` to `maxLength` code points (maxLength < 0: no limit);
    // nullopt when kAttempts candidates did not match.
    std::optional<QString> generate(SeededRandom &random, qint64 minLength = 0, qint64 maxLength = -1) const;

private:
    struct Private;
    std::shared_ptr<const Private> d;
};

} // namespace Gatehouse::Simulation
