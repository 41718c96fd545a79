import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A minimal element tree for S3's small XML answers: names, text and children.
struct XMLElementTree: Sendable {
    var name: String
    var text: String
    var children: [XMLElementTree]

    func child(_ name: String) -> XMLElementTree? { children.first { $0.name == name } }
    func all(_ name: String) -> [XMLElementTree] { children.filter { $0.name == name } }
    func text(_ name: String) -> String? { child(name)?.text }

    static func parse(_ data: Data) -> XMLElementTree? {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse() else { return nil }
        return builder.root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLElementTree] = []
        var root: XMLElementTree?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            stack.append(XMLElementTree(name: elementName, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard let element = stack.popLast() else { return }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }
    }
}
