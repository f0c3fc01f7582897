using System.Text;
using CsCheck;
using Gateway.GraphQL;
using Xunit.Abstractions;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// Properties of the pure classifier over generated documents and bodies. The expected verdict comes from the
/// model a case was generated from (which operation types it holds, its depth, tokens and aliases), never from the
/// classifier. Case counts are in the names and are multiplied by GATEWAY_FUZZ_ITERATIONS.
/// </summary>
public sealed class GraphQLClassifierProperties(ITestOutputHelper output)
{
    private static readonly GraphQLLimits Limits = GraphQLLimits.Default;

    [Fact]
    public void Documents_ClassifiedExactlyAsTheirModelNeeds_4000Cases() =>
        FuzzRun.Check(output, nameof(Documents_ClassifiedExactlyAsTheirModelNeeds_4000Cases), 4_000, GraphQLGenerators.Document, AssertDocumentForms, Print);

    [Fact]
    public void Documents_WithALongLine_ClassifiedExactlyAsTheirModelNeeds_2000Cases() =>
        // Padding past the parser's line length sends the document down GraphQLLongLines' path (linear lexer, short-line
        // copy): the verdict must be the model's there too, whatever the noise (comments, \r, BOMs, commas) around it.
        FuzzRun.Check(output, nameof(Documents_WithALongLine_ClassifiedExactlyAsTheirModelNeeds_2000Cases), 2_000, GraphQLGenerators.Document, doc =>
        {
            var (text, tokens) = GraphQLRenderer.Render(doc);
            var padding = new string(doc.NoiseSeed % 2 == 0 ? ' ' : ',', GraphQLClassifier.MaxParserLineLength + 1);
            var padded = doc.NoiseSeed % 3 == 0 ? padding + "\n" + text : text + "\n" + padding;
            var holds = Holds.Of(doc, tokens);
            AssertVerdict(holds, GraphQLClassifier.ClassifyGet(padded), overGet: true);
            return AssertVerdict(holds, GraphQLClassifier.ClassifyDocument(padded), overGet: false);
        }, Print);

    [Fact]
    public void JsonBodies_ClassifiedExactlyAsTheirModelsNeed_3000Cases() =>
        FuzzRun.Check(output, nameof(JsonBodies_ClassifiedExactlyAsTheirModelsNeed_3000Cases), 3_000, GraphQLBodies.Request, request =>
        {
            var body = GraphQLBodies.Render(request);
            return AssertVerdict(body.Holds, GraphQLClassifier.ClassifyJsonBody(body.Bytes), overGet: false) + (request.Batch ? " batch" : "");
        }, request => GraphQLBodies.Render(request).Text);

    [Fact]
    public void DeepDocuments_AroundTheDepthLimit_1000Cases() =>
        FuzzRun.Check(output, nameof(DeepDocuments_AroundTheDepthLimit_1000Cases), 1_000, GraphQLSizeGenerators.Deep, AssertDocumentForms, Print);

    [Fact]
    public void AliasHeavyBatches_AroundTheAliasLimit_150Cases()
    {
        // One to three documents whose aliases add up to about the limit: a batch shares one alias budget.
        var gen = Gen.Select(GraphQLSizeGenerators.Aliased(300, 520).Array[1, 3], Gen.Int, (docs, seed) => new JsonRequest(docs.Select(doc => new RequestEntry(doc, false, 0, 0, 0, seed)).ToArray(), docs.Length > 1, false, seed));
        FuzzRun.Check(output, nameof(AliasHeavyBatches_AroundTheAliasLimit_150Cases), 150, gen, request =>
        {
            var body = GraphQLBodies.Render(request);
            return AssertVerdict(body.Holds, GraphQLClassifier.ClassifyJsonBody(body.Bytes), overGet: false);
        }, request => GraphQLBodies.Render(request).Text);
    }

    [Fact]
    public void AliasHeavyDocuments_AroundTheAliasLimit_150Cases() =>
        FuzzRun.Check(output, nameof(AliasHeavyDocuments_AroundTheAliasLimit_150Cases), 150, GraphQLSizeGenerators.Aliased(960, 1_040), AssertDocumentForms, Print);

    [Fact]
    public void TokenHeavyDocuments_AroundTheTokenLimit_150Cases() =>
        FuzzRun.Check(output, nameof(TokenHeavyDocuments_AroundTheTokenLimit_150Cases), 150, GraphQLSizeGenerators.TokenHeavy, AssertDocumentForms, Print);

    [Fact]
    public void RandomAndMutatedInput_NeverThrows_AndAnswersWellFormed_6000Cases() =>
        FuzzRun.Check(output, nameof(RandomAndMutatedInput_NeverThrows_AndAnswersWellFormed_6000Cases), 6_000, FuzzInput.Bytes, bytes =>
        {
            var json = GraphQLClassifier.ClassifyJsonBody(bytes);
            AssertWellFormed(json);
            var document = GraphQLClassifier.ClassifyDocumentBody(bytes);
            AssertWellFormed(document);
            var text = Encoding.UTF8.GetString(bytes);
            AssertWellFormed(GraphQLClassifier.ClassifyDocument(text));
            AssertWellFormed(GraphQLClassifier.ClassifyGet(text));
            return $"as JSON {Label(json)}, as a document {Label(document)}";
        }, FuzzInput.Print);

    [Fact]
    public void AnyInput_WithAMutationAdded_IsNeverBelowReadWrite_4000Cases() =>
        FuzzRun.Check(output, nameof(AnyInput_WithAMutationAdded_IsNeverBelowReadWrite_4000Cases), 4_000, FuzzInput.Bytes, bytes =>
        {
            // Whatever the input, a document that also holds "mutation M { x }" as its own definition needs
            // readwrite if it is accepted at all: before a document, or after one on a new line, that text can
            // only be read as a mutation operation or make the document fail to parse.
            var text = Encoding.UTF8.GetString(bytes);
            var label = "mutation first " + Label(GraphQLClassifier.ClassifyDocument(FuzzInput.Mutation + "\n" + text));
            foreach (var document in new[] { FuzzInput.Mutation + "\n" + text, text + "\n" + FuzzInput.Mutation })
            {
                AssertNotBelowReadWrite(GraphQLClassifier.ClassifyDocument(document));
                Assert.True(GraphQLClassifier.ClassifyGet(document).IsRefused, "a GET holding a mutation passed");
                AssertNotBelowReadWrite(GraphQLClassifier.ClassifyDocumentBody(Encoding.UTF8.GetBytes(document)));
            }

            // In a batch, an entry that is a mutation makes the whole request need readwrite, whatever the others hold.
            var quoted = GraphQLBodies.Quote(text, new Random(bytes.Length));
            AssertNotBelowReadWrite(GraphQLClassifier.ClassifyJsonBody(Encoding.UTF8.GetBytes($$"""[{"query":"{{FuzzInput.Mutation}}"},{"query":{{quoted}}}]""")));
            AssertNotBelowReadWrite(GraphQLClassifier.ClassifyJsonBody(Encoding.UTF8.GetBytes($$"""[{"query":{{quoted}}},{"query":"{{FuzzInput.Mutation}}"}]""")));
            return label;
        }, FuzzInput.Print);

    /// <summary>A document's three forms: the document itself, a GET's query, an application/graphql body (with or without BOM).</summary>
    private static string AssertDocumentForms(GraphQLDoc doc)
    {
        var (text, tokens) = GraphQLRenderer.Render(doc);
        var holds = Holds.Of(doc, tokens);
        AssertVerdict(holds, GraphQLClassifier.ClassifyDocument(text), overGet: false);
        AssertVerdict(holds, GraphQLClassifier.ClassifyGet(text), overGet: true);
        var bytes = Encoding.UTF8.GetBytes(text);
        return AssertVerdict(holds, GraphQLClassifier.ClassifyDocumentBody(doc.NoiseSeed % 2 == 0 ? bytes : [0xEF, 0xBB, 0xBF, .. bytes]), overGet: false);
    }

    /// <summary>
    /// Exactly what the model says: over a limit, invalid; a mutation over GET, 405; else allowed with the model's
    /// need. Returns which of these the case was.
    /// </summary>
    internal static string AssertVerdict(Holds holds, GraphQLVerdict verdict, bool overGet)
    {
        var need = holds.HasMutation ? GraphQLNeed.ReadWrite : GraphQLNeed.Read;

        // The security property first, so a failure says which one broke: never allowed below what is needed.
        Assert.False(!verdict.IsRefused && verdict.Need < need, $"classified {verdict.Need}, the document needs {need}");
        if (holds.OverLimits(Limits))
        {
            Assert.True(verdict.Refusal == GraphQLRefusal.InvalidGraphQL, $"over a limit ({holds}) but {verdict}");
            return "over a limit";
        }
        else if (overGet && holds.HasMutation)
        {
            Assert.True(verdict.Refusal == GraphQLRefusal.MethodNotAllowed, $"a mutation over GET but {verdict}");
            return "mutation over GET";
        }
        else
        {
            Assert.True(!verdict.IsRefused && verdict.Need == need, $"expected {need} ({holds}) but {verdict}");
            return "needs " + need;
        }
    }

    private static void AssertNotBelowReadWrite(GraphQLVerdict verdict)
    {
        AssertWellFormed(verdict);
        Assert.True(verdict.IsRefused || verdict.Need == GraphQLNeed.ReadWrite, $"a document with a mutation classified {verdict.Need}");
    }

    private static void AssertWellFormed(GraphQLVerdict verdict)
    {
        if (verdict.IsRefused)
        {
            Assert.Equal(GraphQLNeed.ReadWrite, verdict.Need);
            Assert.False(string.IsNullOrEmpty(verdict.Detail));
            Assert.True(verdict.Detail!.Length <= 200, verdict.Detail);
            Assert.DoesNotContain(verdict.Detail, char.IsControl);
        }
        else
        {
            Assert.Null(verdict.Detail);
        }
    }

    private static string Label(GraphQLVerdict verdict) => verdict.IsRefused ? "refused" : "allowed";

    private static string Print(GraphQLDoc doc) => GraphQLRenderer.Render(doc).Text;
}
