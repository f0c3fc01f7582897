namespace Gateway.Tests.GraphQL;

/// <summary>The introspection query GraphiQL and most client tooling send (graphql-js 16 <c>getIntrospectionQuery</c>, every option on).</summary>
public static class IntrospectionQuery
{
    public const string Text = """
        query IntrospectionQuery {
          __schema {
            description
            queryType { name }
            mutationType { name }
            subscriptionType { name }
            types {
              ...FullType
            }
            directives {
              name
              description
              isRepeatable
              locations
              args(includeDeprecated: true) {
                ...InputValue
              }
            }
          }
        }

        fragment FullType on __Type {
          kind
          name
          description
          specifiedByURL
          fields(includeDeprecated: true) {
            name
            description
            args(includeDeprecated: true) {
              ...InputValue
            }
            type {
              ...TypeRef
            }
            isDeprecated
            deprecationReason
          }
          inputFields(includeDeprecated: true) {
            ...InputValue
          }
          interfaces {
            ...TypeRef
          }
          enumValues(includeDeprecated: true) {
            name
            description
            isDeprecated
            deprecationReason
          }
          possibleTypes {
            ...TypeRef
          }
        }

        fragment InputValue on __InputValue {
          name
          description
          type { ...TypeRef }
          defaultValue
          isDeprecated
          deprecationReason
        }

        fragment TypeRef on __Type {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                    ofType {
                      kind
                      name
                      ofType {
                        kind
                        name
                      }
                    }
                  }
                }
              }
            }
          }
        }
        """;

    /// <summary>The same query with a TypeRef of <paramref name="levels"/> nested <c>ofType</c> (graphql-js 17 lets clients choose).</summary>
    public static string WithTypeRefDepth(int levels)
    {
        var typeRef = "kind name";
        for (var i = 0; i < levels; i++)
        {
            typeRef = "kind name ofType { " + typeRef + " }";
        }

        var start = Text.IndexOf("fragment TypeRef", StringComparison.Ordinal);
        return Text[..start] + "fragment TypeRef on __Type {\n  " + typeRef + "\n}\n";
    }
}
